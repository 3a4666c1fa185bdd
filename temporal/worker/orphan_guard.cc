#include "worker/orphan_guard.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace quarry::temporal {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// pid -> ppid for every live process.
std::map<pid_t, pid_t> ProcessParents() {
  std::map<pid_t, pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (!end || *end != '\0' || pid <= 0) continue;
    std::string stat = ReadFile("/proc/" + std::string(e->d_name) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) continue;
    // "<pid> (<comm>) <state> <ppid> ..."
    long ppid = std::strtol(stat.c_str() + close + 4, nullptr, 10);
    out[static_cast<pid_t>(pid)] = static_cast<pid_t>(ppid);
  }
  ::closedir(d);
  return out;
}

bool CarriesToken(pid_t pid, const std::string& needle) {
  std::string env = ReadFile("/proc/" + std::to_string(pid) + "/environ");
  size_t pos = 0;
  while (pos < env.size()) {
    size_t end = env.find('\0', pos);
    if (end == std::string::npos) end = env.size();
    if (env.compare(pos, end - pos, needle) == 0) return true;
    pos = end + 1;
  }
  return false;
}

std::string NewToken() {
  std::random_device rd;
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  return buf;
}

}  // namespace

int KillTokenHolders(const std::string& token, int max_seconds) {
  const std::string needle = std::string(kWorkerTokenEnv) + "=" + token;
  const pid_t self = ::getpid();
  int signalled = 0;
  int quiet_rounds = 0;
  for (int round = 0; round < max_seconds * 10 && quiet_rounds < 3; ++round) {
    auto parents = ProcessParents();
    std::multimap<pid_t, pid_t> children;
    for (auto [pid, ppid] : parents) children.emplace(ppid, pid);
    std::set<pid_t> doomed;
    std::vector<pid_t> stack;
    for (auto [pid, ppid] : parents) {
      if (pid != self && CarriesToken(pid, needle)) stack.push_back(pid);
    }
    while (!stack.empty()) {
      pid_t p = stack.back();
      stack.pop_back();
      if (p == self || !doomed.insert(p).second) continue;
      auto range = children.equal_range(p);
      for (auto it = range.first; it != range.second; ++it) stack.push_back(it->second);
    }
    for (pid_t p : doomed) {
      if (::kill(p, SIGKILL) == 0) ++signalled;
    }
    quiet_rounds = doomed.empty() ? quiet_rounds + 1 : 0;
    ::usleep(100'000);
  }
  return signalled;
}

StatusOr<std::string> StartOrphanGuard() {
  const std::string token = NewToken();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return IOError("orphan guard: pipe: " + std::string(std::strerror(errno)));
  pid_t pid = ::fork();
  if (pid < 0) return IOError("orphan guard: fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // The guard: own session (no terminal signals), no inherited stdio holding pipes open for
    // whoever started the worker, only the read end of the liveness pipe.
    ::setsid();
    ::close(fds[1]);
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      if (devnull > 2) ::close(devnull);
    }
    for (int fd = 3; fd < 1024; ++fd) {
      if (fd != fds[0]) ::close(fd);
    }
    char buf;
    while (true) {
      ssize_t n = ::read(fds[0], &buf, 1);
      if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    KillTokenHolders(token, 20);
    ::_exit(0);
  }
  ::close(fds[0]);
  // fds[1] stays open (close-on-exec, so executors do not inherit it) until this process ends.
  return token;
}

}  // namespace quarry::temporal
