// buffered (storage-and-policies.md §3.6, Decision D10): the atomic run commit policy. The run's
// output is held in memory and written only by the end-of-run flush (and, if that failed, once
// more by Close), as one chunk write followed by one event write, so readers see all of a run's
// events or none of them.
//
// Locking: `mu_` guards buffers and counters and is never held across a sink call; `flush_mu_`
// serializes flushes. A flush takes the buffers out under `mu_`, writes them unlocked, and merges
// what it must keep back in front of anything admitted meanwhile (§3.6: swap, never clear after an
// unlocked write). Items being written still count against the limits until their write resolves,
// so memory stays bounded by the configured limits.
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "policy/policy_log.h"
#include "quarry/json/canonical_json.h"
#include "quarry/policy/policy.h"

namespace quarry::policy {
namespace {

constexpr std::string_view kName = "buffered";

enum class FlushMode { kAtLeastOnce, kChunksFirst, kTwoPhase };

FlushMode ParseFlushMode(std::string_view mode) {
  if (mode == "chunks_first") return FlushMode::kChunksFirst;
  if (mode == "two_phase") return FlushMode::kTwoPhase;
  return FlushMode::kAtLeastOnce;
}

// One kind's buffers. Only two_phase uses `secondary`: while its "written" mark for the kind is
// set, the primary has already been persisted and new admissions must not be mixed into it.
template <typename T>
struct Buffers {
  std::vector<T> primary;
  std::vector<T> secondary;
};

// Eviction leaves a tombstone (null frame bytes) instead of erasing from the middle of a vector;
// tombstones are removed when the buffer is taken for a write.
bool IsTombstone(const Event& e) { return e.raw == nullptr; }

uint64_t HeldBytes(const std::vector<Event>& events) {
  uint64_t n = 0;
  for (const Event& e : events) n += e.EstimatedSize();
  return n;
}
uint64_t HeldBytes(const std::vector<Chunk>& chunks) {
  uint64_t n = 0;
  for (const Chunk& c : chunks) n += c.data.size;
  return n;
}

template <typename T>
void AppendAll(std::vector<T>* to, std::vector<T>* from) {
  if (to->empty()) {
    to->swap(*from);
    return;
  }
  to->insert(to->end(), std::make_move_iterator(from->begin()),
             std::make_move_iterator(from->end()));
  from->clear();
}

// What one flush did, applied to the policy's state under the lock afterwards.
struct FlushOutcome {
  Status status;
  std::string_view failed_buffer;  // "chunks" | "events" when status is an error
  // Which taken buffers go back (in front of newer admissions).
  bool keep_chunks = false, keep_chunks2 = false, keep_events = false, keep_events2 = false;
  bool chunks_mark = false, events_mark = false;  // two_phase marks after the flush
  uint64_t chunks_persisted = 0, events_persisted = 0;
};

class BufferedPolicy final : public Policy {
 public:
  BufferedPolicy(const PolicyConfig& config, BatchSink* sink, const log::RunContext* log_ctx)
      : sink_(sink),
        log_ctx_(log_ctx),
        mode_(ParseFlushMode(config.flush_mode)),
        max_events_(config.buffer_events > 0 ? static_cast<uint64_t>(config.buffer_events) : 0),
        max_bytes_(config.buffer_bytes > 0 ? static_cast<uint64_t>(config.buffer_bytes) : 0) {}

  std::string_view Name() const override { return kName; }

  Status IngestEvent(Event event) override {
    const uint64_t size = event.EstimatedSize();
    // Refuse an event that could never be stored now, not at the end-of-run flush (§4.8).
    if (Status storable = sink_->CheckEvent(event); !storable.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      ++total_events_;
      ++errors_;
      return storable;
    }
    std::optional<std::string> victim;
    bool dropped = false;
    Status result;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return ClosedError();
      ++total_events_;  // §3.3: every call, drops and rejections included
      if (HasCountRoom() && HasByteRoom(size)) {
        Append(std::move(event), size);
        return Status::Ok();
      }
      if (event.Droppable()) {
        CountDrop(event.Type());
        dropped = true;
      } else {
        // At most one victim per incoming event; it stays dropped even if the event still does
        // not fit. Eviction frees one count slot, so only the byte limit needs a re-check.
        victim = EvictOldestDroppable();
        if (victim && HasByteRoom(size)) {
          Append(std::move(event), size);
        } else {
          ++errors_;
          result = FailedPreconditionError("buffer full: cannot accept non-droppable event");
        }
      }
    }
    if (dropped) LogDrop(log_ctx_, kName, event.Type(), kReasonBufferFull);
    if (victim) LogDrop(log_ctx_, kName, *victim, kReasonEvicted);
    if (!result.ok()) {
      json::ObjectBuilder fields;
      fields.AddString("event_type", event.Type()).AddString("policy", kName);
      log::Write(log::Level::kError, "buffer overflow", log_ctx_, fields.Build());
    }
    return result;
  }

  Status IngestChunk(Chunk chunk) override {
    const uint64_t size = chunk.data.size;
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return ClosedError();
    ++total_chunks_;
    if (max_bytes_ == 0) {
      ++errors_;
      return FailedPreconditionError(
          "buffer full: chunk buffering requires a byte limit (--buffer-bytes)");
    }
    // Chunks are never droppable and never make room by eviction (§3.6).
    if (!HasByteRoom(size)) {
      ++errors_;
      return FailedPreconditionError("buffer full: cannot accept a chunk of " +
                                     std::to_string(size) + " bytes (" +
                                     std::to_string(held_bytes_) + " of " +
                                     std::to_string(max_bytes_) + " buffer bytes in use)");
    }
    auto& to =
        (mode_ == FlushMode::kTwoPhase && chunks_mark_) ? chunks_.secondary : chunks_.primary;
    to.push_back(std::move(chunk));
    held_bytes_ += size;
    return Status::Ok();
  }

  Status Flush() override {
    std::lock_guard<std::mutex> flush_lock(flush_mu_);
    return FlushSerialized();
  }

  Status Close() override {
    std::lock_guard<std::mutex> flush_lock(flush_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return Status::Ok();
      closed_ = true;
    }
    Status s = FlushSerialized();  // a no-op write-wise when the end-of-run flush succeeded
    std::lock_guard<std::mutex> lock(mu_);
    chunks_ = {};
    events_ = {};
    held_bytes_ = 0;
    held_events_ = 0;
    return s;
  }

  PolicyStats Stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    PolicyStats s;
    s.total_events = total_events_;
    s.events_persisted = events_persisted_;
    s.events_dropped = events_dropped_;
    s.dropped_by_type.insert(dropped_by_type_.begin(), dropped_by_type_.end());
    s.total_chunks = total_chunks_;
    s.chunks_persisted = chunks_persisted_;
    s.buffer_size = held_bytes_;
    s.flush_count = flush_count_;
    s.errors = errors_;
    return s;
  }

 private:
  static Status ClosedError() { return FailedPreconditionError("buffered policy is closed"); }

  bool HasCountRoom() const { return max_events_ == 0 || held_events_ < max_events_; }
  bool HasByteRoom(uint64_t size) const {
    return max_bytes_ == 0 || (held_bytes_ <= max_bytes_ && size <= max_bytes_ - held_bytes_);
  }

  void Append(Event event, uint64_t size) {
    auto& to =
        (mode_ == FlushMode::kTwoPhase && events_mark_) ? events_.secondary : events_.primary;
    to.push_back(std::move(event));
    held_bytes_ += size;
    ++held_events_;
  }

  void CountDrop(std::string_view type) {
    ++events_dropped_;
    auto it = dropped_by_type_.find(type);
    if (it == dropped_by_type_.end()) it = dropped_by_type_.emplace(std::string(type), 0).first;
    ++it->second;
  }

  // Tombstones the oldest live droppable event (primary buffer first) and returns its type.
  // Everything before a buffer's cursor is known not to be a live droppable event, and admissions
  // only append, so each event is examined at most once between two flushes.
  std::optional<std::string> EvictOldestDroppable() {
    std::vector<Event>* buffers[2] = {&events_.primary, &events_.secondary};
    for (int b = 0; b < 2; ++b) {
      std::vector<Event>& buf = *buffers[b];
      for (size_t& i = evict_cursor_[b]; i < buf.size(); ++i) {
        Event& e = buf[i];
        if (IsTombstone(e) || !e.Droppable()) continue;
        std::string type(e.Type());
        held_bytes_ -= e.EstimatedSize();
        --held_events_;
        CountDrop(type);
        e.raw.reset();
        ++i;
        return type;
      }
    }
    return std::nullopt;
  }

  // Caller holds flush_mu_.
  Status FlushSerialized() {
    Buffers<Chunk> chunks;
    Buffers<Event> events;
    bool chunks_mark, events_mark;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++flush_count_;  // also when there is nothing to write (§3.3)
      chunks = std::exchange(chunks_, {});
      events = std::exchange(events_, {});
      evict_cursor_[0] = evict_cursor_[1] = 0;
      chunks_mark = chunks_mark_;
      events_mark = events_mark_;
    }
    std::erase_if(events.primary, IsTombstone);
    std::erase_if(events.secondary, IsTombstone);

    FlushOutcome out;
    switch (mode_) {
      case FlushMode::kAtLeastOnce:
        out = WriteAtLeastOnce(chunks, events);
        break;
      case FlushMode::kChunksFirst:
        out = WriteChunksFirst(chunks, events);
        break;
      case FlushMode::kTwoPhase:
        out = WriteTwoPhase(chunks, events, chunks_mark, events_mark);
        break;
    }

    {
      std::lock_guard<std::mutex> lock(mu_);
      chunks_persisted_ += out.chunks_persisted;
      events_persisted_ += out.events_persisted;
      if (!out.status.ok()) ++errors_;
      Release(&chunks.primary, out.keep_chunks);
      Release(&chunks.secondary, out.keep_chunks2);
      Release(&events.primary, out.keep_events);
      Release(&events.secondary, out.keep_events2);
      Merge(&chunks, &chunks_, out.chunks_mark);
      Merge(&events, &events_, out.events_mark);
      evict_cursor_[0] = evict_cursor_[1] = 0;
      chunks_mark_ = out.chunks_mark;
      events_mark_ = out.events_mark;
    }
    if (!out.status.ok()) {
      LogFlushFailure(log_ctx_, kName, out.failed_buffer, out.status.message());
    }
    return out.status;
  }

  // Drops a written buffer from the accounting (caller holds mu_).
  void Release(std::vector<Event>* taken, bool keep) {
    if (keep) return;
    held_bytes_ -= HeldBytes(*taken);
    held_events_ -= taken->size();
    taken->clear();
  }
  void Release(std::vector<Chunk>* taken, bool keep) {
    if (keep) return;
    held_bytes_ -= HeldBytes(*taken);
    taken->clear();
  }

  // Puts the kept part of `taken` back in front of what was admitted during the write; those newer
  // items belong to the secondary buffer iff the kind's mark is set after the flush (caller holds
  // mu_). During the write the marks did not change, so newer items sit in one buffer only.
  template <typename T>
  static void Merge(Buffers<T>* taken, Buffers<T>* live, bool mark) {
    std::vector<T> newer = std::move(live->primary);
    AppendAll(&newer, &live->secondary);
    live->primary = std::move(taken->primary);
    live->secondary = std::move(taken->secondary);
    AppendAll(mark ? &live->secondary : &live->primary, &newer);
  }

  // Writes one batch; an empty batch is not written.
  Status Write(const std::vector<Chunk>& chunks, uint64_t* persisted) {
    if (chunks.empty()) return Status::Ok();
    Status s = sink_->WriteChunks(std::span<const Chunk>(chunks));
    if (s.ok()) *persisted += chunks.size();
    return s;
  }
  Status Write(const std::vector<Event>& events, uint64_t* persisted) {
    if (events.empty()) return Status::Ok();
    Status s = sink_->WriteEvents(std::span<const Event>(events));
    if (s.ok()) *persisted += events.size();
    return s;
  }

  // Chunks first in every mode (D11.6): the storage writer refuses an artifact commit whose chunks
  // were not written earlier (§4.10).
  FlushOutcome WriteAtLeastOnce(const Buffers<Chunk>& chunks, const Buffers<Event>& events) {
    FlushOutcome out;
    auto keep_all = [&out](Status s, std::string_view buffer) {
      out.status = std::move(s);
      out.failed_buffer = buffer;
      out.keep_chunks = out.keep_events = true;  // chunks are written again: duplicates by design
      return out;
    };
    if (Status s = Write(chunks.primary, &out.chunks_persisted); !s.ok())
      return keep_all(s, "chunks");
    if (Status s = Write(events.primary, &out.events_persisted); !s.ok())
      return keep_all(s, "events");
    return out;
  }

  FlushOutcome WriteChunksFirst(const Buffers<Chunk>& chunks, const Buffers<Event>& events) {
    FlushOutcome out;
    if (Status s = Write(chunks.primary, &out.chunks_persisted); !s.ok()) {
      out.status = std::move(s);
      out.failed_buffer = "chunks";
      out.keep_chunks = out.keep_events = true;
      return out;
    }
    if (Status s = Write(events.primary, &out.events_persisted); !s.ok()) {
      out.status = std::move(s);
      out.failed_buffer = "events";
      out.keep_events = true;  // the written chunks are not rewritten
    }
    return out;
  }

  FlushOutcome WriteTwoPhase(const Buffers<Chunk>& chunks, const Buffers<Event>& events,
                             bool chunks_mark, bool events_mark) {
    FlushOutcome out;
    out.keep_chunks = out.keep_chunks2 = out.keep_events = out.keep_events2 = true;
    out.chunks_mark = chunks_mark;
    out.events_mark = events_mark;
    auto fail = [&out](Status s, std::string_view buffer) {
      out.status = std::move(s);
      out.failed_buffer = buffer;
      return out;
    };
    if (!out.chunks_mark) {
      if (Status s = Write(chunks.primary, &out.chunks_persisted); !s.ok())
        return fail(s, "chunks");
      out.chunks_mark = true;
    }
    if (Status s = Write(chunks.secondary, &out.chunks_persisted); !s.ok())
      return fail(s, "chunks");
    out.keep_chunks2 = false;  // secondary chunks are done as soon as their write succeeds
    if (!out.events_mark) {
      if (Status s = Write(events.primary, &out.events_persisted); !s.ok())
        return fail(s, "events");
      out.events_mark = true;
    }
    if (Status s = Write(events.secondary, &out.events_persisted); !s.ok())
      return fail(s, "events");
    // Full success: every buffer is released and both marks reset.
    out.keep_chunks = out.keep_events = out.keep_events2 = false;
    out.chunks_mark = out.events_mark = false;
    return out;
  }

  BatchSink* const sink_;
  const log::RunContext* const log_ctx_;
  const FlushMode mode_;
  const uint64_t max_events_;  // 0 = no count limit
  const uint64_t max_bytes_;   // 0 = no byte limit (and no chunks)

  std::mutex flush_mu_;
  mutable std::mutex mu_;
  Buffers<Chunk> chunks_;
  Buffers<Event> events_;
  size_t evict_cursor_[2] = {0, 0};  // primary, secondary
  bool chunks_mark_ = false;
  bool events_mark_ = false;
  bool closed_ = false;
  // Held = buffered plus being written: both count against the limits.
  uint64_t held_bytes_ = 0;
  uint64_t held_events_ = 0;

  uint64_t total_events_ = 0;
  uint64_t events_persisted_ = 0;
  uint64_t events_dropped_ = 0;
  std::map<std::string, uint64_t, std::less<>> dropped_by_type_;
  uint64_t total_chunks_ = 0;
  uint64_t chunks_persisted_ = 0;
  uint64_t flush_count_ = 0;
  uint64_t errors_ = 0;
};

}  // namespace

std::unique_ptr<Policy> NewBufferedPolicy(const PolicyConfig& config, BatchSink* sink,
                                          const log::RunContext* log_ctx) {
  return std::make_unique<BufferedPolicy>(config, sink, log_ctx);
}

}  // namespace quarry::policy
