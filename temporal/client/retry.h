// Retrying calls to the Temporal server through an outage (a restart, a network blip).
//
// Only transient failures are retried: kUnavailable (gRPC UNAVAILABLE and RESOURCE_EXHAUSTED)
// and kDeadlineExceeded. Every other answer is final. The wait before retry n (n = 0, 1, ...) is
// "full jitter": uniform in [0, min(max, initial × 2^n)], so many workers coming back after one
// server restart do not retry in step.
//
// Callers bound the retries by when their answer stops mattering (docs/temporal.md, "Riding out
// an outage"): a report until the server would no longer accept it for its task, a client call
// for a fixed time.
#pragma once

#include <chrono>
#include <functional>
#include <random>

#include "quarry/status.h"

namespace quarry::temporal {

struct Backoff {
  std::chrono::milliseconds initial{200};
  std::chrono::milliseconds max{5'000};
};

bool IsTransient(const Status& s);

// The wait before retry `attempt` (0-based).
std::chrono::milliseconds FullJitterDelay(int attempt, const Backoff& b, std::mt19937_64& rng);

struct RetryUntil {
  // No new attempt starts after this instant; the last answer is returned instead.
  std::chrono::steady_clock::time_point deadline;
  // Checked between attempts and while waiting; true ends the retries at once (shutdown, the
  // task was taken over). Optional.
  std::function<bool()> stop;
  Backoff backoff;
  // Waits `d` (or less, when stop() turns true). Default: sleeps in slices of ≤ 100 ms that
  // check stop(). Tests replace it.
  std::function<void(std::chrono::milliseconds d)> sleep;
};

// Calls `attempt` until it returns OK or a non-transient error, `until` passes, or stop() holds.
// Returns the last status; *attempts (optional) counts the calls made.
Status RetryTransient(const RetryUntil& until, const std::function<Status()>& attempt,
                      int* attempts = nullptr);

// The same for calls with a result.
template <typename T>
StatusOr<T> RetryTransient(const RetryUntil& until, const std::function<StatusOr<T>()>& call,
                           int* attempts = nullptr) {
  StatusOr<T> last = InternalError("not called");
  Status s = RetryTransient(
      until,
      [&] {
        last = call();
        return last.status();
      },
      attempts);
  (void)s;
  return last;
}

}  // namespace quarry::temporal
