#include "quarry/orphan_guard.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "process/subprocess.h"

namespace quarry::process {

int KillGuardedProcesses(const std::string& token, int max_seconds) {
  return KillTokenTree(kGuardTokenEnv, token, /*pgid=*/0, std::chrono::seconds(max_seconds));
}

StatusOr<std::string> StartOrphanGuard() {
  const std::string token = NewRunToken();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return IOError("orphan guard: pipe: " + std::string(std::strerror(errno)));
  pid_t pid = ::fork();
  if (pid < 0) return IOError("orphan guard: fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // The guard: own session (no terminal signals), no inherited stdio holding pipes open for
    // whoever started the parent, only the read end of the liveness pipe.
    ::setsid();
    ::prctl(PR_SET_NAME, "quarry-guard", 0, 0, 0);  // what ps -o comm and top show
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
    KillGuardedProcesses(token, 20);
    ::_exit(0);
  }
  ::close(fds[0]);
  // fds[1] stays open (close-on-exec, so executors do not inherit it) until this process ends.
  return token;
}

}  // namespace quarry::process
