// The browser server as a process: what /proc says about a recorded pid, starting one detached,
// and removing what is left of a stale one.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "quarry/status.h"

namespace quarry::run {
class CancelToken;
}

namespace quarry::browser::internal {

enum class PidState { kGone, kZombie, kAlive };
PidState InspectPid(pid_t pid);
// /proc/<pid>/cmdline has an argument equal to "--browser-server". False when unreadable (a
// zombie's command line reads empty).
bool RunsBrowserServer(pid_t pid);
// Whether this system has /proc (without it a live pid is taken as healthy, §10.3).
bool HaveProc();

// Kills what is left of the server recorded in `record_path`: every process whose environment
// carries QUARRY_BROWSER_DISCOVERY_FILE=<record_path> and their descendants, plus the process
// group of `pid` when `kill_group` (only for a pid verified to be a browser server). Reaps what
// was our child. Returns how many processes were signalled.
int KillServerLeftovers(const std::string& record_path, pid_t pid, bool kill_group);

// Servers this process started: they are our children until they exit, so they are reaped here
// (a long-lived worker would otherwise collect zombies). Reaping also happens inside
// KillServerLeftovers. Both are safe to call from any thread.
void RememberLaunched(pid_t pid);
void ReapLaunched();
// Reaps `pid` if it is a server this process started and has exited; true if it was reaped.
bool ReapIfLaunched(pid_t pid);

struct LaunchSpec {
  std::string executor, script;
  std::vector<std::string> env;  // complete, "KEY=VALUE"
  std::string log_path;          // the server's stderr
  std::chrono::milliseconds timeout{30000};
  const run::CancelToken* cancel = nullptr;
};

struct Launched {
  pid_t pid = -1;
  std::string ws_endpoint;
};

// `<executor> --browser-server <script>` in a new session, stdin /dev/null, stdout a pipe read
// until its first line, stderr appended to log_path, no other descriptor inherited, default
// signal dispositions and an empty mask. The first line must start with ws:// or wss:// within
// `timeout`; on anything else the server's processes are killed and the error quotes the last
// line of its log.
StatusOr<Launched> LaunchServer(const LaunchSpec& spec, const std::string& record_path);

// The environment of a server: ours without the run/guard tokens (a server must outlive runs and
// the orphan guard of the process that starts it), without Quarry's credentials, and without
// stale discovery settings; then the two discovery variables.
std::vector<std::string> ServerEnvironment(char* const* inherited, const std::string& record_path,
                                           int idle_timeout_seconds);

}  // namespace quarry::browser::internal
