// A BatchSink for policy tests: records every call (what was in the batch and whether it
// succeeded), fails calls on request, can hold calls at a gate so a test controls when a write
// completes, and notices overlapping calls (policies must never issue two writes at once).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "quarry/sink.h"

namespace quarry::policy_testing {

class FakeSink final : public BatchSink {
 public:
  enum class Kind { kEvents, kChunks };

  struct Call {
    Kind kind;
    std::vector<int64_t> seqs;       // event seq, or chunk seq
    std::vector<std::string> types;  // event types; chunk artifact ids
    bool ok = true;
  };

  Status WriteEvents(std::span<const Event> events) override {
    Call call{Kind::kEvents, {}, {}, true};
    for (const Event& e : events) {
      call.seqs.push_back(e.seq);
      call.types.emplace_back(e.Type());
    }
    return Record(std::move(call));
  }

  Status WriteChunks(std::span<const Chunk> chunks) override {
    Call call{Kind::kChunks, {}, {}, true};
    for (const Chunk& c : chunks) {
      call.seqs.push_back(c.seq);
      call.types.emplace_back(c.ArtifactId());
    }
    return Record(std::move(call));
  }

  // The next `n` calls of `kind` fail with `error` (queued after failures already requested).
  void FailNext(Kind kind, int n, Status error = IOError("injected write failure")) {
    std::lock_guard<std::mutex> lock(mu_);
    for (int i = 0; i < n; ++i)
      (kind == Kind::kEvents ? fail_events_ : fail_chunks_).push_back(error);
  }
  // Every call fails until cleared.
  void FailAll(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_all_ = on;
  }

  // While closed, calls wait inside the sink (after being counted as entered).
  void CloseGate() {
    std::lock_guard<std::mutex> lock(mu_);
    gate_open_ = false;
  }
  void OpenGate() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      gate_open_ = true;
    }
    cv_.notify_all();
  }
  // Waits until `n` calls in total have entered the sink.
  bool WaitForEntered(uint64_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return entered_ >= n; });
  }

  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  uint64_t entered() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entered_;
  }
  bool overlapped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return overlapped_;
  }
  // Seqs of every successfully written item of `kind`, in write order.
  std::vector<int64_t> Persisted(Kind kind) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<int64_t> out;
    for (const Call& c : calls_) {
      if (c.kind == kind && c.ok) out.insert(out.end(), c.seqs.begin(), c.seqs.end());
    }
    return out;
  }

 private:
  Status Record(Call call) {
    std::unique_lock<std::mutex> lock(mu_);
    ++entered_;
    if (in_flight_++ > 0) overlapped_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return gate_open_; });
    Status result;
    auto& queue = call.kind == Kind::kEvents ? fail_events_ : fail_chunks_;
    if (fail_all_) {
      result = IOError("injected write failure");
    } else if (!queue.empty()) {
      result = queue.front();
      queue.pop_front();
    }
    call.ok = result.ok();
    calls_.push_back(std::move(call));
    --in_flight_;
    return result;
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
  std::deque<Status> fail_events_, fail_chunks_;
  bool fail_all_ = false;
  bool gate_open_ = true;
  uint64_t entered_ = 0;
  int in_flight_ = 0;
  bool overlapped_ = false;
};

}  // namespace quarry::policy_testing
