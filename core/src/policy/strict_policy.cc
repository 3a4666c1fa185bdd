// strict (§3.4): no buffer; every event and every chunk is one sink call with a batch of one,
// and the ingest call waits for it, so a slow store backpressures the executor.
#include <atomic>
#include <span>

#include "quarry/policy/policy.h"

namespace quarry::policy {
namespace {

class StrictPolicy final : public Policy {
 public:
  explicit StrictPolicy(BatchSink* sink) : sink_(sink) {}

  std::string_view Name() const override { return "strict"; }

  Status IngestEvent(Event event) override {
    total_events_.fetch_add(1, std::memory_order_relaxed);
    Status s = sink_->WriteEvents(std::span<const Event>(&event, 1));
    if (!s.ok()) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      return s;
    }
    events_persisted_.fetch_add(1, std::memory_order_relaxed);
    return s;
  }

  Status IngestChunk(Chunk chunk) override {
    total_chunks_.fetch_add(1, std::memory_order_relaxed);
    Status s = sink_->WriteChunks(std::span<const Chunk>(&chunk, 1));
    if (!s.ok()) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      return s;
    }
    chunks_persisted_.fetch_add(1, std::memory_order_relaxed);
    return s;
  }

  Status Flush() override {
    flush_count_.fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  }

  Status Close() override { return Status::Ok(); }

  PolicyStats Stats() const override {
    PolicyStats s;
    s.total_events = total_events_.load();
    s.events_persisted = events_persisted_.load();
    s.total_chunks = total_chunks_.load();
    s.chunks_persisted = chunks_persisted_.load();
    s.flush_count = flush_count_.load();
    s.errors = errors_.load();
    return s;
  }

 private:
  BatchSink* sink_;
  std::atomic<uint64_t> total_events_{0}, events_persisted_{0}, total_chunks_{0},
      chunks_persisted_{0}, flush_count_{0}, errors_{0};
};

}  // namespace

std::unique_ptr<Policy> NewStrictPolicy(BatchSink* sink) {
  return std::make_unique<StrictPolicy>(sink);
}

}  // namespace quarry::policy
