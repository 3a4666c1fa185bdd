#include "run/bounded_call.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "quarry/duration.h"

namespace quarry::run {
namespace {

// Shared by the waiting caller and the helper thread; whichever leaves last frees it.
struct CallState {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Status> result;
  bool abandoned = false;  // the caller stopped waiting
};

}  // namespace

Status CallWithTimeout(std::function<Status()> call, std::chrono::nanoseconds timeout,
                       const std::string& what, std::function<void(const Status&)> on_abandoned,
                       bool* abandoned) {
  if (abandoned != nullptr) *abandoned = false;
  auto state = std::make_shared<CallState>();
  std::thread([state, call = std::move(call), on_abandoned = std::move(on_abandoned)]() mutable {
    Status s = call();
    call = nullptr;
    std::unique_lock<std::mutex> lock(state->mu);
    if (state->abandoned) {
      lock.unlock();
      if (on_abandoned) on_abandoned(s);
      return;
    }
    // The caller is still waiting: it may rely on the captures being gone once it returns.
    on_abandoned = nullptr;
    state->result = std::move(s);
    state->cv.notify_all();
  }).detach();

  std::unique_lock<std::mutex> lock(state->mu);
  if (!state->cv.wait_for(lock, timeout, [&] { return state->result.has_value(); })) {
    state->abandoned = true;
    if (abandoned != nullptr) *abandoned = true;
    return DeadlineExceededError(what + " did not finish within " + FormatDuration(timeout));
  }
  return std::move(*state->result);
}

}  // namespace quarry::run
