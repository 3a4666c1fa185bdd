// Child-process supervision for the executor: posix_spawn into its own process group with three
// pipes, non-blocking status checks, and a whole-tree kill.
//
// Why a tree kill and not just killpg(): Puppeteer starts Chromium as the leader of another
// process group, so signalling the executor's group misses it. Every process of a run inherits
// the environment variable QUARRY_RUN_TOKEN=<token>; KillRunTree() finds them by scanning
// /proc/<pid>/environ (plus the executor's own group for anything that scrubbed its
// environment) and SIGKILLs them until none is left. Processes orphaned by the executor are
// re-parented to us when BecomeSubreaper() was called, so they are reaped rather than left as
// zombies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/status.h"

namespace quarry::process {

inline constexpr char kRunTokenEnv[] = "QUARRY_RUN_TOKEN";

// How a child ended: exited with a code, or killed by a signal. Kept distinct on purpose.
struct ExitStatus {
  bool signalled = false;
  int code = 0;                  // valid when !signalled
  int signal = 0;                // valid when signalled
  std::string ToString() const;  // "exited with code 1" / "killed by signal 9 (SIGKILL)"
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program path (executed directly, no PATH search)
  std::vector<std::string> env;   // complete environment, "KEY=VALUE"
  // A child meant to outlive its parent's runs (the reusable browser server): leader of a new
  // session instead of a new process group (no terminal signals, out of reach of any group kill),
  // stdin /dev/null, stderr truncated into `stderr_path` (0600) instead of a pipe, and no
  // descriptor of ours beyond 0-2 (an inherited one would stay open for the child's lifetime).
  // Only stdout is a pipe. Release() hands the child over once it is up.
  bool detached = false;
  std::string stderr_path{};  // required when detached
};

class Subprocess {
 public:
  // Starts the child as leader of a new process group, with default signal dispositions and an
  // empty signal mask. The parent's pipe ends are non-blocking and close-on-exec.
  static StatusOr<Subprocess> Spawn(const SpawnOptions& options);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Kills the group and reaps the child if it is still running.
  ~Subprocess();

  pid_t pid() const { return pid_; }
  int stdin_fd() const { return stdin_fd_; }
  int stdout_fd() const { return stdout_fd_; }
  int stderr_fd() const { return stderr_fd_; }
  void CloseStdin();
  void CloseStdout();
  void CloseStderr();

  // Reaps the child if it has exited; never blocks.
  std::optional<ExitStatus> TryWait();
  // Blocks until the child exits or `timeout` passes (polling; the child is ours).
  std::optional<ExitStatus> WaitFor(std::chrono::milliseconds timeout);
  std::optional<ExitStatus> exit_status() const { return exit_; }

  // SIGKILL to the child's process group.
  void KillGroup();

  // Gives the child up: it is no longer killed or reaped by this object (the caller reaps it)
  // and no longer counts as supervised. Pipes stay with this object. Returns the pid.
  pid_t Release();

 private:
  Subprocess() = default;
  void CloseAll();

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::optional<ExitStatus> exit_;
};

// Makes this process the subreaper of its descendants (PR_SET_CHILD_SUBREAPER), so processes
// orphaned by an executor become our children and can be reaped. Idempotent.
void BecomeSubreaper();

// SIGKILLs every process whose environment holds QUARRY_RUN_TOKEN=<token> or whose process group
// is `pgid` (skip when pgid <= 0), and the children of every process it signalled, repeating until
// a scan finds none alive (a signalled process counts until it is gone or a zombie) or `deadline`
// passes, and reaps those that are our children. Never signals the calling process. Returns how
// many processes were signalled.
int KillRunTree(const std::string& token, pid_t pgid, std::chrono::milliseconds deadline);
// The same for processes whose environment holds <env_name>=<token> (the orphan guard's token).
int KillTokenTree(std::string_view env_name, const std::string& token, pid_t pgid,
                  std::chrono::milliseconds deadline);

// PIDs (other than ours) whose environment holds QUARRY_RUN_TOKEN=<token>; zombies excluded.
std::vector<pid_t> FindRunProcesses(const std::string& token);

// A random 128-bit hex token for QUARRY_RUN_TOKEN.
std::string NewRunToken();

}  // namespace quarry::process
