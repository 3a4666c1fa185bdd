// Cleanup after a Quarry process that died without cleaning up (kill -9, OOM): no executor or
// Chromium it started may outlive it. Before any thread exists, the process forks a small guard
// that waits on a pipe only the parent holds. When the pipe reports end-of-file (the parent is
// gone, however it died) the guard SIGKILLs every process whose environment carries the guard's
// token, and their descendants, then exits. Runs get the token through RunConfig::env
// ({kGuardTokenEnv, token}), which the executor passes on to Chromium.
//
// Used by `quarry run` (an idle script would otherwise keep its executor and Chromium alive
// until it next wrote to the dead pipe) and by `quarry-temporal worker`.
#pragma once

#include <string>

#include "quarry/status.h"

namespace quarry::process {

inline constexpr char kGuardTokenEnv[] = "QUARRY_GUARD_TOKEN";

// Must be called while the process is single-threaded. Returns the token value.
StatusOr<std::string> StartOrphanGuard();

// Kills every process carrying `<kGuardTokenEnv>=<token>` and its descendants until none is left
// or `max_seconds` passed. Returns how many processes were signalled. Used by the guard; public
// for tests.
int KillGuardedProcesses(const std::string& token, int max_seconds);

}  // namespace quarry::process
