#include "process/subprocess.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace quarry::process {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

void CloseFd(int* fd) {
  if (*fd >= 0) {
    ::close(*fd);
    *fd = -1;
  }
}

ExitStatus FromWaitStatus(int status) {
  ExitStatus s;
  if (WIFSIGNALED(status)) {
    s.signalled = true;
    s.signal = WTERMSIG(status);
  } else {
    s.code = WEXITSTATUS(status);
  }
  return s;
}

// Reads a whole small /proc file; empty on any error (the process may vanish mid-scan).
std::string ReadProcFile(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

struct ProcInfo {
  char state = '?';
  pid_t ppid = 0;
  pid_t pgid = 0;
};

std::optional<ProcInfo> ReadStat(pid_t pid) {
  std::string stat = ReadProcFile("/proc/" + std::to_string(pid) + "/stat");
  // The command name is parenthesised and may contain spaces; fields follow the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  ProcInfo info;
  int ppid = 0, pgid = 0;
  if (std::sscanf(stat.c_str() + close + 2, "%c %d %d", &info.state, &ppid, &pgid) != 3) {
    return std::nullopt;
  }
  info.ppid = ppid;
  info.pgid = pgid;
  return info;
}

bool EnvironHasToken(pid_t pid, const std::string& needle) {
  std::string env = ReadProcFile("/proc/" + std::to_string(pid) + "/environ");
  size_t start = 0;
  while (start < env.size()) {
    size_t end = env.find('\0', start);
    if (end == std::string::npos) end = env.size();
    if (env.compare(start, end - start, needle) == 0) return true;
    start = end + 1;
  }
  return false;
}

template <typename Fn>
void ForEachPid(Fn&& fn) {
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return;
  while (dirent* ent = ::readdir(dir)) {
    char* end = nullptr;
    long v = std::strtol(ent->d_name, &end, 10);
    if (end == ent->d_name || *end != '\0' || v <= 0) continue;
    fn(static_cast<pid_t>(v));
  }
  ::closedir(dir);
}

// Executors currently owned by a Subprocess. Sweeps reap zombie children of ours that are NOT in
// here: those are orphans of some run's tree; registered pids are reaped by their owner, which
// needs the exit status (several runs may be supervised at once in the Temporal worker).
std::mutex g_supervised_mu;
std::set<pid_t> g_supervised;

void Register(pid_t pid) {
  std::lock_guard<std::mutex> lock(g_supervised_mu);
  g_supervised.insert(pid);
}
void Unregister(pid_t pid) {
  std::lock_guard<std::mutex> lock(g_supervised_mu);
  g_supervised.erase(pid);
}
bool Supervised(pid_t pid) {
  std::lock_guard<std::mutex> lock(g_supervised_mu);
  return g_supervised.count(pid) > 0;
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (!signalled) return "exited with code " + std::to_string(code);
  const char* name = sigabbrev_np(signal);
  return "killed by signal " + std::to_string(signal) +
         (name ? std::string(" (SIG") + name + ")" : "");
}

StatusOr<Subprocess> Subprocess::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return InvalidArgumentError("spawn: empty argv");
  if (options.detached && options.stderr_path.empty()) {
    return InvalidArgumentError("spawn: a detached child needs a stderr file");
  }
  // Every descriptor this function opens, closed on any early return; the parent's pipe ends
  // are released into the Subprocess at the end.
  std::vector<int> opened;
  auto cleanup = [&opened] {
    for (int fd : opened) ::close(fd);
  };
  auto make_pipe = [&](int fds[2]) -> bool {
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    opened.push_back(fds[0]);
    opened.push_back(fds[1]);
    return true;
  };
  auto fail = [&](std::string what, int err) {
    cleanup();
    return IOError(std::move(what) + ": " + ErrnoText(err));
  };
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  int log_fd = -1;
  if (!make_pipe(out)) return fail("pipe", errno);
  if (options.detached) {
    log_fd = ::open(options.stderr_path.c_str(),
                    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (log_fd < 0) return fail(options.stderr_path, errno);
    opened.push_back(log_fd);
    ::fchmod(log_fd, 0600);  // an existing file keeps its mode under O_CREAT
  } else if (!make_pipe(in) || !make_pipe(err)) {
    return fail("pipe", errno);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.detached) {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  } else {
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  }

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The caller may block signals (e.g. for signalfd) or ignore SIGPIPE; the child must start
  // with a clean mask and default dispositions, or Node would inherit them.
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (options.detached) {
    flags |= POSIX_SPAWN_SETSID;
  } else {
    posix_spawnattr_setpgroup(&attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attr, flags);

  std::vector<char*> argv, envp;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : options.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail(options.argv[0], rc);
  // The child's ends (and the log file) are its own now.
  for (int fd : {in[0], out[1], err[1], log_fd}) {
    if (fd < 0) continue;
    ::close(fd);
    opened.erase(std::find(opened.begin(), opened.end(), fd));
  }
  for (int fd : {in[1], out[0], err[0]}) {
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }

  Register(pid);
  Subprocess p;
  p.pid_ = pid;
  p.stdin_fd_ = in[1];
  p.stdout_fd_ = out[0];
  p.stderr_fd_ = err[0];
  return p;
}

Subprocess::Subprocess(Subprocess&& o) noexcept
    : pid_(o.pid_),
      stdin_fd_(o.stdin_fd_),
      stdout_fd_(o.stdout_fd_),
      stderr_fd_(o.stderr_fd_),
      exit_(o.exit_) {
  o.pid_ = -1;
  o.stdin_fd_ = o.stdout_fd_ = o.stderr_fd_ = -1;
}

Subprocess& Subprocess::operator=(Subprocess&& o) noexcept {
  if (this != &o) {
    this->~Subprocess();
    new (this) Subprocess(std::move(o));
  }
  return *this;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exit_) {
    KillGroup();
    WaitFor(std::chrono::seconds(5));
  }
  CloseAll();
}

void Subprocess::CloseAll() {
  CloseFd(&stdin_fd_);
  CloseFd(&stdout_fd_);
  CloseFd(&stderr_fd_);
}

void Subprocess::CloseStdin() { CloseFd(&stdin_fd_); }
void Subprocess::CloseStdout() { CloseFd(&stdout_fd_); }
void Subprocess::CloseStderr() { CloseFd(&stderr_fd_); }

std::optional<ExitStatus> Subprocess::TryWait() {
  if (exit_ || pid_ <= 0) return exit_;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_ = FromWaitStatus(status);
    Unregister(pid_);
  }
  return exit_;
}

std::optional<ExitStatus> Subprocess::WaitFor(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto step = std::chrono::milliseconds(1);
  while (!TryWait()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(step);
    step = std::min(step * 2, std::chrono::milliseconds(20));
  }
  return exit_;
}

void Subprocess::KillGroup() {
  if (pid_ > 0 && !exit_) ::kill(-pid_, SIGKILL);
}

pid_t Subprocess::Release() {
  const pid_t pid = pid_;
  if (pid > 0 && !exit_) Unregister(pid);
  pid_ = -1;
  return pid;
}

void BecomeSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

std::vector<pid_t> FindRunProcesses(const std::string& token) {
  std::vector<pid_t> found;
  const std::string needle = std::string(kRunTokenEnv) + "=" + token;
  const pid_t self = ::getpid();
  ForEachPid([&](pid_t pid) {
    if (pid == self) return;
    auto info = ReadStat(pid);
    if (!info || info->state == 'Z' || info->state == 'X') return;
    if (EnvironHasToken(pid, needle)) found.push_back(pid);
  });
  return found;
}

int KillRunTree(const std::string& token, pid_t pgid, std::chrono::milliseconds deadline) {
  return KillTokenTree(kRunTokenEnv, token, pgid, deadline);
}

int KillTokenTree(std::string_view env_name, const std::string& token, pid_t pgid,
                  std::chrono::milliseconds deadline) {
  const pid_t self = ::getpid();
  const std::string needle = std::string(env_name) + "=" + token;
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::set<pid_t> signalled;
  while (true) {
    // One snapshot of the process table per pass, so children are found while they are still
    // attached to the parents about to be killed (once re-parented, nothing ties them to the run).
    std::map<pid_t, ProcInfo> table;
    std::multimap<pid_t, pid_t> children;
    ForEachPid([&](pid_t pid) {
      if (pid == self) return;
      if (auto info = ReadStat(pid)) {
        table.emplace(pid, *info);
        children.emplace(info->ppid, pid);
      }
    });
    std::vector<pid_t> targets;
    for (const auto& [pid, info] : table) {
      if (info.state == 'Z' || info.state == 'X') {
        // A dead orphan re-parented to us (its environment is gone, so it cannot be matched by
        // token): reap it unless a Subprocess owns it and needs its status.
        if (info.ppid == self && !Supervised(pid)) ::waitpid(pid, nullptr, WNOHANG);
        continue;
      }
      // A signalled process is waited for until it is gone: while it exits (state D) it has lost
      // its environment and would not match the token any more.
      if ((pgid > 0 && info.pgid == pgid) || signalled.count(pid) > 0 ||
          (!token.empty() && EnvironHasToken(pid, needle))) {
        targets.push_back(pid);
      }
    }
    // Descendants of the targets belong to the run even without the token (Chromium's zygote
    // children may overwrite the environment block /proc shows).
    for (size_t i = 0; i < targets.size(); ++i) {
      auto [first, last] = children.equal_range(targets[i]);
      for (auto it = first; it != last; ++it) {
        const ProcInfo& child = table.at(it->second);
        if (child.state == 'Z' || child.state == 'X') continue;
        if (std::find(targets.begin(), targets.end(), it->second) == targets.end()) {
          targets.push_back(it->second);
        }
      }
    }
    for (pid_t pid : targets) {
      ::kill(pid, SIGKILL);
      signalled.insert(pid);
    }
    if (targets.empty()) break;
    if (std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Last pass: reap anything we signalled that became our zombie.
  for (pid_t pid : signalled) {
    auto info = ReadStat(pid);
    if (info && info->ppid == self && !Supervised(pid)) ::waitpid(pid, nullptr, WNOHANG);
  }
  return static_cast<int>(signalled.size());
}

std::string NewRunToken() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(dist(rd)),
                static_cast<unsigned long long>(dist(rd)));
  return buf;
}

}  // namespace quarry::process
