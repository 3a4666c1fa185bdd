// The circuit breaker in front of a best_effort event sink (docs/integrations.md "Best-effort
// sinks that are down"): after a failed delivery the sink is skipped instead of called, so a dead
// sink costs the run one failure, not one failure (with its retries) per event; a probe at growing
// intervals finds out when it is back.
//
// Closed: every delivery is made. A failure opens the breaker.
// Open: deliveries are skipped until the probe time; the first delivery after it is the probe
// (half-open). A successful probe closes the breaker and resets the interval; a failed one
// reopens it with the interval doubled, up to the maximum.
// Not thread-safe: the fan-out makes one delivery per sink at a time.
#pragma once

#include <chrono>

#include "quarry/sinks/event_sinks.h"

namespace quarry::sinks {

class DeliveryBreaker {
 public:
  enum class Decision { kDeliver, kProbe, kSkip };

  explicit DeliveryBreaker(BreakerOptions options) : o_(std::move(options)) {}

  // What to do with the next delivery.
  Decision Next() const;
  // The result of a delivery made after kDeliver or kProbe.
  void Succeeded();
  void Failed();

  bool open() const { return open_; }
  // The wait before the next probe, as set by the last failure.
  std::chrono::milliseconds interval() const { return interval_; }

 private:
  std::chrono::steady_clock::time_point Now() const;

  BreakerOptions o_;
  bool open_ = false;
  std::chrono::milliseconds interval_{0};
  std::chrono::steady_clock::time_point probe_at_{};
};

}  // namespace quarry::sinks
