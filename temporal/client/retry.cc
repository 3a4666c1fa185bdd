#include "client/retry.h"

#include <algorithm>
#include <thread>

namespace quarry::temporal {

bool IsTransient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

std::chrono::milliseconds FullJitterDelay(int attempt, const Backoff& b, std::mt19937_64& rng) {
  // initial × 2^attempt, capped before it can overflow.
  int64_t cap = b.initial.count();
  for (int i = 0; i < attempt && cap < b.max.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, b.max.count());
  if (cap <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(0, cap)(rng));
}

namespace {

void SleepChecking(std::chrono::milliseconds d, const std::function<bool()>& stop) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (!(stop && stop())) {
    const auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::nanoseconds>(left, std::chrono::milliseconds(100)));
  }
}

}  // namespace

Status RetryTransient(const RetryUntil& until, const std::function<Status()>& attempt,
                      int* attempts) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int n = 0;
  Status s;
  while (true) {
    s = attempt();
    ++n;
    if (attempts) *attempts = n;
    if (s.ok() || !IsTransient(s)) return s;
    if (until.stop && until.stop()) return s;
    auto delay = FullJitterDelay(n - 1, until.backoff, rng);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until.deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds(0)) return s;
    delay = std::min(delay, left);
    if (until.sleep) {
      until.sleep(delay);
    } else {
      SleepChecking(delay, until.stop);
    }
    if (until.stop && until.stop()) return s;
    if (std::chrono::steady_clock::now() >= until.deadline) return s;
  }
}

}  // namespace quarry::temporal
