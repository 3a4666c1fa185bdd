#include "browser/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>

#include "process/subprocess.h"
#include "quarry/browser/reuse.h"
#include "quarry/orphan_guard.h"
#include "quarry/redact.h"
#include "quarry/run/orchestrator.h"
#include "run/executor_env.h"

namespace quarry::browser::internal {
namespace {

using Clock = std::chrono::steady_clock;

std::string ReadSmallFile(const std::string& path, size_t limit = 1 << 16) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while (out.size() < limit && (n = ::read(fd, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// Servers we started and have not reaped, each with a pidfd: waiting through the pidfd reaps
// exactly that process, never a later process that got the same pid after someone else (a run's
// process sweep) reaped ours.
std::mutex g_launched_mu;
std::map<pid_t, int> g_launched;

// The last non-empty line of the server's log, for error messages.
std::string LogTail(const std::string& log_path) {
  std::string text = ReadSmallFile(log_path, 1 << 20);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  size_t nl = text.rfind('\n');
  std::string last = nl == std::string::npos ? text : text.substr(nl + 1);
  return PrintableValue(last, 300);
}

std::string WithLogTail(std::string message, const std::string& log_path) {
  std::string tail = LogTail(log_path);
  if (!tail.empty()) message += ": " + tail;
  return message + " (log: " + log_path + ")";
}

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace

bool HaveProc() {
  struct stat st {};
  return ::stat("/proc/self/status", &st) == 0;
}

PidState InspectPid(pid_t pid) {
  if (pid <= 0) return PidState::kGone;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return PidState::kGone;
  std::string status = ReadSmallFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("\nState:");
  if (at != std::string::npos) {
    size_t end = status.find('\n', at + 1);
    std::string_view state = std::string_view(status).substr(at + 7, end - at - 7);
    if (state.find('Z') != std::string_view::npos) return PidState::kZombie;
  }
  return PidState::kAlive;
}

bool RunsBrowserServer(pid_t pid) {
  std::string cmdline = ReadSmallFile("/proc/" + std::to_string(pid) + "/cmdline");
  size_t start = 0;
  while (start < cmdline.size()) {
    size_t end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    if (std::string_view(cmdline).substr(start, end - start) == "--browser-server") return true;
    start = end + 1;
  }
  return false;
}

void RememberLaunched(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // close-on-exec by default
  if (fd < 0) return;  // no pidfds: a run's process sweep reaps it (KillTokenTree)
  std::lock_guard<std::mutex> lock(g_launched_mu);
  g_launched[pid] = fd;
}

namespace {
// Caller holds g_launched_mu.
bool ReapLocked(std::map<pid_t, int>::iterator it) {
  siginfo_t info{};
  int r = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(it->second), &info,
                   WEXITED | WNOHANG);
  if ((r == 0 && info.si_pid == 0) || (r < 0 && errno == EINTR)) return false;  // running
  // Reaped now, or ECHILD: someone else (a run's process sweep) reaped it already.
  ::close(it->second);
  g_launched.erase(it);
  return true;
}
}  // namespace

bool ReapIfLaunched(pid_t pid) {
  std::lock_guard<std::mutex> lock(g_launched_mu);
  auto it = g_launched.find(pid);
  return it != g_launched.end() && ReapLocked(it);
}

void ReapLaunched() {
  std::lock_guard<std::mutex> lock(g_launched_mu);
  for (auto it = g_launched.begin(); it != g_launched.end();) {
    auto next = std::next(it);
    ReapLocked(it);
    it = next;
  }
}

int KillServerLeftovers(const std::string& record_path, pid_t pid, bool kill_group) {
  pid_t pgid = 0;
  if (kill_group && pid > 0) {
    pgid = ::getpgid(pid);
    // Never our own group, whatever the file says.
    if (pgid <= 0 || pgid == ::getpgrp()) pgid = 0;
    if (pgid > 0) ::kill(-pgid, SIGKILL);
  }
  int n = process::KillTokenTree(kDiscoveryFileEnv, record_path, pgid, std::chrono::seconds(5));
  ReapLaunched();
  return n;
}

std::vector<std::string> ServerEnvironment(char* const* inherited, const std::string& record_path,
                                           int idle_timeout_seconds) {
  std::vector<std::string> env;
  for (char* const* e = inherited; e && *e; ++e) {
    std::string_view kv(*e);
    std::string_view name = kv.substr(0, kv.find('='));
    if (name == process::kRunTokenEnv || name == process::kGuardTokenEnv ||
        name == kDiscoveryFileEnv || name == kIdleTimeoutEnv || name == "QUARRY_RESOLVE_FROM" ||
        run::IsQuarryCredentialEnv(name)) {
      continue;
    }
    env.emplace_back(kv);
  }
  env.push_back(std::string(kDiscoveryFileEnv) + "=" + record_path);
  env.push_back(std::string(kIdleTimeoutEnv) + "=" + std::to_string(idle_timeout_seconds));
  return env;
}

StatusOr<Launched> LaunchServer(const LaunchSpec& spec, const std::string& record_path) {
  process::SpawnOptions options{{spec.executor, "--browser-server", spec.script}, spec.env};
  options.detached = true;
  options.stderr_path = spec.log_path;
  auto child = process::Subprocess::Spawn(options);
  if (!child.ok()) {
    return IOError("starting " + spec.executor + " --browser-server: " + child.status().message());
  }
  const pid_t pid = child->pid();
  const int out = child->stdout_fd();

  auto fail = [&](std::string message) -> StatusOr<Launched> {
    KillServerLeftovers(record_path, pid, /*kill_group=*/true);
    child->WaitFor(std::chrono::seconds(1));  // reaps it, whoever signalled it
    return UnavailableError(WithLogTail(std::move(message), spec.log_path));
  };

  std::string line;
  const auto deadline = Clock::now() + spec.timeout;
  while (true) {
    if (spec.cancel && spec.cancel->cancelled()) return fail("cancelled while the server started");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return fail("the browser server printed no endpoint within " +
                  std::to_string(spec.timeout.count() / 1000) + "s");
    }
    pollfd fds[2] = {{out, POLLIN, 0}, {spec.cancel ? spec.cancel->fd() : -1, POLLIN, 0}};
    int n =
        ::poll(fds, spec.cancel ? 2 : 1, static_cast<int>(std::min<int64_t>(left.count(), 200)));
    if (n < 0 && errno != EINTR) return fail("poll: " + ErrnoText(errno));
    if (n <= 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[512];
    ssize_t got = ::read(out, buf, sizeof buf);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) {
      // EOF: give the exit status a moment to be collectable, for the message.
      auto status = child->WaitFor(std::chrono::milliseconds(500));
      const std::string how = status ? status->ToString() : "exited";
      return fail("the browser server " + how + " before printing its endpoint");
    }
    line.append(buf, static_cast<size_t>(got));
    if (size_t nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      break;
    }
    if (line.size() > 4096) return fail("the browser server's first line is too long");
  }
  // The server ignores SIGPIPE and never writes to stdout again: the pipe closes with `child`.
  RememberLaunched(child->Release());
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (!line.starts_with("ws://") && !line.starts_with("wss://")) {
    return fail("the browser server printed " + PrintableValue(RedactUrl(line)) +
                " instead of a ws:// endpoint");
  }
  return Launched{pid, line};
}

}  // namespace quarry::browser::internal
