#include "sinks/delivery_breaker.h"

#include <algorithm>

namespace quarry::sinks {

std::chrono::steady_clock::time_point DeliveryBreaker::Now() const {
  return o_.now ? o_.now() : std::chrono::steady_clock::now();
}

DeliveryBreaker::Decision DeliveryBreaker::Next() const {
  if (!open_) return Decision::kDeliver;
  return Now() >= probe_at_ ? Decision::kProbe : Decision::kSkip;
}

void DeliveryBreaker::Succeeded() {
  open_ = false;
  interval_ = std::chrono::milliseconds(0);
}

void DeliveryBreaker::Failed() {
  interval_ = open_ ? std::min(interval_ * 2, o_.max_probe) : o_.first_probe;
  open_ = true;
  probe_at_ = Now() + interval_;
}

}  // namespace quarry::sinks
