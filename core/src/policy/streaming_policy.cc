// streaming (storage-and-policies.md §3.7): bounded buffer flushed by count, interval, capacity and
// termination triggers; never drops.
//
// Count and capacity flushes are pipelined (issue 15, docs/lode-layout.md "Streaming commits"):
// the ingest call that triggers one hands the batch to the policy's writer thread and returns, so
// the next batch fills while the previous one commits. One batch may be in flight and one filling;
// a trigger while a write is in flight blocks the ingest call until it completes, so memory stays
// bounded by twice the caps and a slow store still slows the script, through the pipe. A failed
// pipelined write puts its items back in front and is the error of the next ingest call (or of the
// end-of-run flush, if no ingest call comes first): policy_failure as §3.9 requires. Interval and
// termination flushes write on their own thread, after the write in flight.
//
// Locking: `mu_` guards the buffer, the counters and the single write slot (`slot_busy_`), and is
// never held across a sink call. Whoever holds the slot is the only writer, so writes are issued
// in order; on failure the taken items are put back in front of anything admitted meanwhile, so
// order holds across retries.
#include <chrono>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "policy/policy_log.h"
#include "quarry/json/canonical_json.h"
#include "quarry/policy/policy.h"

namespace quarry::policy {
namespace {

constexpr std::string_view kName = "streaming";

enum class Trigger { kCount, kInterval, kTermination, kCapacity };

std::string_view TriggerName(Trigger t) {
  switch (t) {
    case Trigger::kCount:
      return "count";
    case Trigger::kInterval:
      return "interval";
    case Trigger::kTermination:
      return "termination";
    case Trigger::kCapacity:
      return "capacity";
  }
  return "count";
}

template <typename T>
void PutBackInFront(std::vector<T>* taken, std::vector<T>* live) {
  if (!live->empty()) {
    taken->insert(taken->end(), std::make_move_iterator(live->begin()),
                  std::make_move_iterator(live->end()));
  }
  live->swap(*taken);
  taken->clear();
}

class StreamingPolicy final : public Policy {
 public:
  StreamingPolicy(const PolicyConfig& config, BatchSink* sink, const log::RunContext* log_ctx)
      : sink_(sink),
        log_ctx_(log_ctx),
        flush_count_limit_(config.flush_count > 0 ? static_cast<uint64_t>(config.flush_count) : 0),
        interval_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            config.flush_interval)) {
    writer_ = std::thread([this] { WriterLoop(); });
    if (interval_.count() > 0) timer_ = std::thread([this] { TimerLoop(); });
  }

  ~StreamingPolicy() override {
    StopTimer();
    StopWriter();
  }

  std::string_view Name() const override { return kName; }

  Status IngestEvent(Event event) override {
    const uint64_t size = event.EstimatedSize();
    // Refuse an event that could never be stored now, not at a later flush (§4.8).
    if (Status storable = sink_->CheckEvent(event); !storable.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      ++errors_;
      return storable;
    }
    std::optional<Trigger> trigger;
    {
      std::unique_lock<std::mutex> lock(mu_);
      QUARRY_RETURN_IF_ERROR(WaitForRoom(&lock, size));
      events_.push_back(std::move(event));
      bytes_ += size;
      ++total_events_;  // §3.3: counted once admitted, after any wait
      if (flush_count_limit_ > 0 && events_.size() >= flush_count_limit_) {
        trigger = Trigger::kCount;
      } else if (AtCapacity()) {
        trigger = Trigger::kCapacity;
      }
    }
    return trigger ? HandOff(*trigger) : Status::Ok();
  }

  Status IngestChunk(Chunk chunk) override {
    const uint64_t size = chunk.data.size;
    bool full;
    {
      std::unique_lock<std::mutex> lock(mu_);
      QUARRY_RETURN_IF_ERROR(WaitForRoom(&lock, size));
      chunks_.push_back(std::move(chunk));
      bytes_ += size;
      ++total_chunks_;
      full = AtCapacity();  // chunks never cause a count flush
    }
    return full ? HandOff(Trigger::kCapacity) : Status::Ok();
  }

  Status Flush() override { return FlushFor(Trigger::kTermination); }

  Status Close() override {
    StopTimer();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return Status::Ok();
      closed_ = true;
    }
    return FlushFor(Trigger::kTermination);
  }

  PolicyStats Stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    PolicyStats s;
    s.total_events = total_events_;
    s.events_persisted = events_persisted_;
    s.total_chunks = total_chunks_;
    s.chunks_persisted = chunks_persisted_;
    s.buffer_size = bytes_;
    s.flush_count = flush_count_;
    s.errors = errors_;
    s.flush_triggers = triggers_;  // all four keys, zeros included (D11.7)
    return s;
  }

 private:
  bool Empty() const { return events_.empty() && chunks_.empty(); }
  uint64_t Items() const { return events_.size() + chunks_.size(); }
  bool AtCapacity() const { return Items() >= kStreamingMaxItems || bytes_ >= kStreamingMaxBytes; }
  // An empty buffer admits anything, so one huge item cannot deadlock the run.
  bool Fits(uint64_t size) const {
    return Empty() || (Items() < kStreamingMaxItems && size <= kStreamingMaxBytes &&
                       bytes_ <= kStreamingMaxBytes - size);
  }

  // Blocks until an item of `size` fits (§3.7 step 1). Rather than waiting for some other thread
  // to flush (with one ingest thread and no timer nobody would), the caller hands the buffer off
  // itself; that waits for any write in flight, which is where the blocking happens.
  Status WaitForRoom(std::unique_lock<std::mutex>* lock, uint64_t size) {
    while (true) {
      if (closed_) return FailedPreconditionError("streaming policy is closed");
      if (Fits(size)) return Status::Ok();
      lock->unlock();
      Status s = HandOff(Trigger::kCapacity, size);
      lock->lock();
      QUARRY_RETURN_IF_ERROR(s);
    }
  }

  struct Batch {
    Trigger trigger = Trigger::kCount;
    std::vector<Event> events;
    std::vector<Chunk> chunks;
    uint64_t bytes = 0;
  };

  // Blocks until no flush holds the write slot: the backpressure. Requires `lock` on mu_.
  void WaitForSlot(std::unique_lock<std::mutex>* lock) {
    slot_cv_.wait(*lock, [this] { return !slot_busy_; });
  }

  // With the slot free (after WaitForSlot), applies the flush's bookkeeping (§3.7 "Flush
  // algorithm") and takes the buffer and the slot. False when there is nothing to write; the slot
  // is then not taken. With `admitting`, it is the flush an ingester needs to make room for an
  // item of that size: skipped, uncounted, when another flush already made room.
  bool TakeSlotAndBuffer(Trigger trigger, std::optional<uint64_t> admitting, Batch* batch) {
    // An interval tick with an empty buffer is skipped without counting.
    if (trigger == Trigger::kInterval && Empty()) return false;
    if (admitting && Fits(*admitting)) return false;
    ++CounterFor(trigger);
    ++flush_count_;
    if (Empty()) return false;
    slot_busy_ = true;
    batch->trigger = trigger;
    batch->events.swap(events_);
    batch->chunks.swap(chunks_);
    events_.swap(spare_events_);  // recycled capacity, always empty
    chunks_.swap(spare_chunks_);
    batch->bytes = std::exchange(bytes_, 0);
    return true;
  }

  void ReleaseSlot() {  // requires mu_
    slot_busy_ = false;
    slot_cv_.notify_all();
  }

  // Count and capacity triggers: the batch goes to the writer thread. An earlier pipelined
  // write's failure is returned here first, before anything new is handed off.
  Status HandOff(Trigger trigger, std::optional<uint64_t> admitting = std::nullopt) {
    std::unique_lock<std::mutex> lock(mu_);
    WaitForSlot(&lock);
    if (!pipeline_error_.ok()) return std::exchange(pipeline_error_, Status::Ok());
    Batch batch;
    if (!TakeSlotAndBuffer(trigger, admitting, &batch)) return Status::Ok();
    pending_.emplace(std::move(batch));
    writer_cv_.notify_one();
    return Status::Ok();
  }

  // Interval and termination flushes write on the calling thread, after the write in flight.
  // The termination flush also reports a pipelined failure nobody has reported yet.
  Status FlushFor(Trigger trigger) {
    Batch batch;
    Status earlier;
    {
      std::unique_lock<std::mutex> lock(mu_);
      WaitForSlot(&lock);
      if (trigger == Trigger::kTermination) earlier = std::exchange(pipeline_error_, Status::Ok());
      if (!TakeSlotAndBuffer(trigger, std::nullopt, &batch)) return earlier;
    }
    Status s = Write(&batch);
    std::lock_guard<std::mutex> lock(mu_);
    ReleaseSlot();
    return s.ok() ? earlier : s;
  }

  void WriterLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      writer_cv_.wait(lock, [this] { return pending_.has_value() || stop_writer_; });
      if (!pending_) return;
      Batch batch = std::move(*pending_);
      pending_.reset();
      lock.unlock();
      Status s = Write(&batch);
      lock.lock();
      if (!s.ok() && pipeline_error_.ok()) pipeline_error_ = std::move(s);
      ReleaseSlot();
    }
  }

  // Waits for the write in flight, then ends the writer thread.
  void StopWriter() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      WaitForSlot(&lock);
      stop_writer_ = true;
    }
    writer_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

  // The sink part of a flush, by the slot holder, without `mu_`.
  Status Write(Batch* batch) {
    std::vector<Event>& events = batch->events;
    std::vector<Chunk>& chunks = batch->chunks;
    const uint64_t bytes = batch->bytes;
    const Trigger trigger = batch->trigger;
    const size_t n_events = events.size(), n_chunks = chunks.size();
    if (!chunks.empty()) {
      Status s = sink_->WriteChunks(std::span<const Chunk>(chunks));
      if (!s.ok()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          ++errors_;
          PutBackInFront(&events, &events_);
          PutBackInFront(&chunks, &chunks_);
          bytes_ += bytes;
        }
        LogFlushFailure(log_ctx_, kName, "chunks", s.message(), TriggerName(trigger));
        return s;
      }
      std::lock_guard<std::mutex> lock(mu_);
      chunks_persisted_ += n_chunks;
    }
    if (!events.empty()) {
      Status s = sink_->WriteEvents(std::span<const Event>(events));
      if (!s.ok()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          ++errors_;
          PutBackInFront(&events, &events_);  // the chunks stay persisted
          bytes_ += bytes - ChunkBytes(chunks);
          Recycle(&chunks, &spare_chunks_);
        }
        LogFlushFailure(log_ctx_, kName, "events", s.message(), TriggerName(trigger));
        return s;
      }
    }

    {
      std::lock_guard<std::mutex> lock(mu_);
      events_persisted_ += n_events;
      Recycle(&events, &spare_events_);
      Recycle(&chunks, &spare_chunks_);
    }
    if (log::GetLevel() <= log::Level::kDebug) {
      json::ObjectBuilder fields;
      fields.AddString("trigger", TriggerName(trigger))
          .AddUint("events", n_events)
          .AddUint("chunks", n_chunks)
          .AddString("policy", kName);
      log::Write(log::Level::kDebug, "streaming flush", log_ctx_, fields.Build());
    }
    return Status::Ok();
  }

  static uint64_t ChunkBytes(const std::vector<Chunk>& chunks) {
    uint64_t n = 0;
    for (const Chunk& c : chunks) n += c.data.size;
    return n;
  }

  // Keeps the larger of two emptied vectors' capacity for the next swap (caller holds mu_).
  template <typename T>
  static void Recycle(std::vector<T>* written, std::vector<T>* spare) {
    written->clear();
    if (written->capacity() > spare->capacity()) spare->swap(*written);
  }

  uint64_t& CounterFor(Trigger t) {
    switch (t) {
      case Trigger::kCount:
        return triggers_.count;
      case Trigger::kInterval:
        return triggers_.interval;
      case Trigger::kTermination:
        return triggers_.termination;
      case Trigger::kCapacity:
        return triggers_.capacity;
    }
    return triggers_.count;
  }

  // Ticks every interval; ticks missed while a flush ran are skipped rather than bunched up.
  void TimerLoop() {
    auto next = std::chrono::steady_clock::now() + interval_;
    std::unique_lock<std::mutex> lock(timer_mu_);
    while (!stop_timer_) {
      if (timer_cv_.wait_until(lock, next, [this] { return stop_timer_; })) break;
      lock.unlock();
      // Failure is logged inside and only logged: the items are back in the buffer for the next
      // trigger (§3.9).
      (void)FlushFor(Trigger::kInterval);
      lock.lock();
      const auto now = std::chrono::steady_clock::now();
      next += interval_;
      if (next <= now) next = now + interval_;
    }
  }

  void StopTimer() {
    {
      std::lock_guard<std::mutex> lock(timer_mu_);
      stop_timer_ = true;
    }
    timer_cv_.notify_all();
    if (timer_.joinable()) timer_.join();
  }

  BatchSink* const sink_;
  const log::RunContext* const log_ctx_;
  const uint64_t flush_count_limit_;  // 0 = no count trigger
  const std::chrono::steady_clock::duration interval_;

  mutable std::mutex mu_;
  std::condition_variable slot_cv_;    // the write slot was released
  std::condition_variable writer_cv_;  // a batch is pending, or the writer must stop
  bool slot_busy_ = false;             // a flush holds the slot (writing or handed to the writer)
  std::optional<Batch> pending_;       // handed off, not yet taken by the writer thread
  Status pipeline_error_;              // a pipelined write failed; not yet returned to anyone
  bool stop_writer_ = false;
  std::vector<Event> events_, spare_events_;
  std::vector<Chunk> chunks_, spare_chunks_;
  uint64_t bytes_ = 0;  // estimated size of events_ and chunks_ (§3.3)
  bool closed_ = false;

  uint64_t total_events_ = 0;
  uint64_t events_persisted_ = 0;
  uint64_t total_chunks_ = 0;
  uint64_t chunks_persisted_ = 0;
  uint64_t flush_count_ = 0;
  uint64_t errors_ = 0;
  FlushTriggers triggers_;

  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  bool stop_timer_ = false;
  std::thread writer_;  // last: started in the constructor once everything else exists
  std::thread timer_;
};

}  // namespace

std::unique_ptr<Policy> NewStreamingPolicy(const PolicyConfig& config, BatchSink* sink,
                                           const log::RunContext* log_ctx) {
  return std::make_unique<StreamingPolicy>(config, sink, log_ctx);
}

}  // namespace quarry::policy
