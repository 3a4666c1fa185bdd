// Cleanup after a worker that died without cleaning up (kill -9, OOM): no executor or Chromium
// of its runs may outlive it. Before any thread exists, the worker forks a small guard process
// that waits on a pipe only the worker holds. When the pipe reports end-of-file (the worker is
// gone, however it died) the guard SIGKILLs every process whose environment carries the worker's
// token, and their descendants, then exits. Every run the worker starts gets the token through
// RunConfig::env, which the executor passes on to Chromium.
#pragma once

#include <string>

#include "quarry/status.h"

namespace quarry::temporal {

inline constexpr char kWorkerTokenEnv[] = "QUARRY_TEMPORAL_WORKER";

// Must be called while the process is single-threaded. Returns the token value.
StatusOr<std::string> StartOrphanGuard();

// Kills every process carrying `<kWorkerTokenEnv>=<token>` and its descendants until none is
// left or `max_seconds` passed. Returns how many processes were signalled. Used by the guard;
// public for tests.
int KillTokenHolders(const std::string& token, int max_seconds);

}  // namespace quarry::temporal
