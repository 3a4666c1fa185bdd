// Runs a blocking storage call with an upper bound on how long the caller waits for it
// (storage-and-policies.md §3.8: the end-of-run flush and the metrics write get 120 s each).
//
// The call runs on a detached helper thread. When the bound passes, the caller gets a
// DeadlineExceeded status and moves on; the call keeps running until it returns on its own. A
// store that never answers cannot be interrupted from outside, so whatever the call touches must
// be owned by the callable (shared_ptr captures), not borrowed from the caller's stack.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "quarry/status.h"

namespace quarry::run {

// Returns `call`'s status if it finishes within `timeout`, else DeadlineExceeded with the message
// "<what> did not finish within <timeout>" and `*abandoned` (when given) set: the call's own status
// may be DeadlineExceeded too, so only the flag tells the two apart. When the caller gave up,
// `on_abandoned` (optional) runs on the helper thread once `call` has returned, with its status:
// the place for clean-up the caller had to skip because it must not overlap the call (closing a
// policy still flushing). Everything `call` and `on_abandoned` captured is released before this
// function returns without having given up.
Status CallWithTimeout(std::function<Status()> call, std::chrono::nanoseconds timeout,
                       const std::string& what,
                       std::function<void(const Status&)> on_abandoned = {},
                       bool* abandoned = nullptr);

}  // namespace quarry::run
