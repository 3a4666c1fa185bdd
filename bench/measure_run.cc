// Runs a command and reports its own resource use as one JSON line: wall seconds, CPU seconds and
// peak RSS from wait4(2). The CPU figure includes the command's reaped children (for `quarry run`,
// the executor), which the caller subtracts using the executor's self-report; the peak RSS is the
// largest of the command and its children.
//
// Usage: measure_run -- COMMAND [ARGS...]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && std::strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    std::fprintf(stderr, "usage: measure_run -- COMMAND [ARGS...]\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execvp(argv[first], argv + first);
    std::perror("execvp");
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (pid < 0 || ::wait4(pid, &status, 0, &ru) < 0) {
    std::perror("measure_run");
    return 2;
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::fprintf(stderr, "{\"exit\":%d,\"wall_s\":%.3f,\"cpu_s\":%.3f,\"peak_rss_mb\":%.1f}\n", code,
               wall, cpu, static_cast<double>(ru.ru_maxrss) / 1024.0);
  return code;
}
