#include <algorithm>
#include <future>
#include <limits>

#include "quarry/json/canonical_json.h"
#include "quarry/sinks/event_sinks.h"
#include "sinks/delivery_breaker.h"

namespace quarry::sinks {
namespace {

constexpr int64_t kNothing = std::numeric_limits<int64_t>::min();

// True when seqs strictly increase through the batch, as in every batch of a real run. Only then
// can a sink's progress be told by seq; otherwise every sink gets the whole batch.
bool Ordered(std::span<const Event> events) {
  for (size_t i = 1; i < events.size(); ++i) {
    if (events[i].seq <= events[i - 1].seq) return false;
  }
  return true;
}

// Index of the first event with seq > `through` in an ordered batch.
size_t FirstAfter(std::span<const Event> events, int64_t through) {
  return static_cast<size_t>(std::upper_bound(events.begin(), events.end(), through,
                                              [](int64_t s, const Event& e) { return s < e.seq; }) -
                             events.begin());
}

std::string Seconds(std::chrono::milliseconds d) {
  const auto ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

}  // namespace

struct FanOutSink::State {
  explicit State(const BreakerOptions& o) : breaker(o) {}
  int64_t given_through = kNothing;  // highest seq this sink was given (stored, or dropped)
  DeliveryBreaker breaker;           // best_effort only
  uint64_t skipped_while_open = 0;
  std::atomic<uint64_t> stored{0}, dropped{0};
};

StatusOr<Delivery> ParseDelivery(std::string_view text) {
  if (text.empty() || text == "mandatory") return Delivery::kMandatory;
  if (text == "best_effort") return Delivery::kBestEffort;
  return InvalidArgumentError("invalid delivery mode \"" + std::string(text) +
                              "\": must be mandatory or best_effort");
}

std::string_view DeliveryName(Delivery d) {
  return d == Delivery::kMandatory ? "mandatory" : "best_effort";
}

FanOutSink::FanOutSink(BatchSink* lode, std::vector<Entry> entries, const log::RunContext* log_ctx,
                       BreakerOptions breaker)
    : lode_(lode), entries_(std::move(entries)), log_ctx_(log_ctx), stored_through_(kNothing) {
  for (auto& e : entries_) {
    if (e.owned) e.sink = e.owned.get();
    state_.push_back(std::make_unique<State>(breaker));
  }
}

FanOutSink::~FanOutSink() { (void)Close(); }

Status FanOutSink::DeliverBestEffort(size_t i, std::span<const Event> events, bool* stored) {
  Entry& e = entries_[i];
  State& st = *state_[i];
  const DeliveryBreaker::Decision decision = st.breaker.Next();
  if (decision == DeliveryBreaker::Decision::kSkip) {
    st.dropped.fetch_add(events.size(), std::memory_order_relaxed);
    st.skipped_while_open += events.size();
    return Status::Ok();
  }
  Status s = e.sink->WriteEvents(events);
  if (s.ok()) {
    st.stored.fetch_add(events.size(), std::memory_order_relaxed);
    *stored = true;
    if (decision == DeliveryBreaker::Decision::kProbe) {
      json::ObjectBuilder fields;
      fields.AddString("sink", e.label).AddUint("skipped_events", st.skipped_while_open);
      log::Write(log::Level::kInfo,
                 "best-effort event sink " + e.label + " is back; " +
                     std::to_string(st.skipped_while_open) +
                     " events were skipped while it was down",
                 log_ctx_, fields.Build());
    }
    st.breaker.Succeeded();
    st.skipped_while_open = 0;
    return Status::Ok();
  }
  st.dropped.fetch_add(events.size(), std::memory_order_relaxed);
  st.breaker.Failed();
  json::ObjectBuilder fields;
  fields.AddString("sink", e.label).AddString("error", s.message());
  if (decision == DeliveryBreaker::Decision::kDeliver) {
    // The only warning of a failure burst; probes that fail again are logged at debug level.
    log::Write(log::Level::kWarn,
               "best-effort event sink write failed: " + e.label + ": " + s.message() +
                   " (its events are skipped until a probe succeeds, the first in " +
                   Seconds(st.breaker.interval()) + ")",
               log_ctx_, fields.Build());
  } else {
    log::Write(log::Level::kDebug,
               "best-effort event sink probe failed: " + e.label + ": " + s.message(), log_ctx_,
               fields.Build());
  }
  return Status::Ok();
}

Status FanOutSink::Deliver(size_t i, std::span<const Event> events, bool* stored) {
  *stored = false;
  if (events.empty()) return Status::Ok();
  if (entries_[i].delivery == Delivery::kBestEffort) return DeliverBestEffort(i, events, stored);
  Status s = entries_[i].sink->WriteEvents(events);
  if (s.ok()) {
    state_[i]->stored.fetch_add(events.size(), std::memory_order_relaxed);
    *stored = true;
  }
  return s;
}

Status FanOutSink::WriteEvents(std::span<const Event> events) {
  if (events.empty()) return Status::Ok();
  // One sink is called directly: its error reaches the policy unchanged (e.g. Lode's
  // line-limit message), unless it is best effort.
  if (entries_.size() == 1) {
    bool stored = false;
    Status s = Deliver(0, events, &stored);
    if (stored) events_stored_.fetch_add(events.size(), std::memory_order_relaxed);
    return s;
  }

  const bool ordered = Ordered(events);
  const size_t n = entries_.size();
  std::vector<size_t> from(n, 0);  // where the part each sink still lacks begins
  if (ordered) {
    for (size_t i = 0; i < n; ++i) from[i] = FirstAfter(events, state_[i]->given_through);
  }
  std::vector<Status> results(n);
  std::unique_ptr<bool[]> stored(new bool[n]());
  {
    std::vector<std::future<Status>> pending;
    for (size_t i = 1; i < n; ++i) {
      pending.push_back(std::async(std::launch::async, [this, i, events, &from, &stored] {
        return Deliver(i, events.subspan(from[i]), &stored[i]);
      }));
    }
    results[0] = Deliver(0, events.subspan(from[0]), &stored[0]);
    for (size_t i = 1; i < n; ++i) results[i] = pending[i - 1].get();
  }

  // A sink that stored its part holds the whole batch; an event counts once, when the first sink
  // stores it.
  size_t covered = events.size();
  for (size_t i = 0; i < n; ++i) {
    if (stored[i]) covered = std::min(covered, from[i]);
    // Mandatory sinks are given the batch again after a failure; best_effort ones are not.
    const bool given = results[i].ok() || entries_[i].delivery == Delivery::kBestEffort;
    if (ordered && given) state_[i]->given_through = events.back().seq;
  }
  if (covered < events.size()) {
    const size_t fresh = ordered ? std::max(covered, FirstAfter(events, stored_through_)) : covered;
    events_stored_.fetch_add(events.size() - fresh, std::memory_order_relaxed);
    if (ordered) stored_through_ = std::max(stored_through_, events.back().seq);
  }

  std::string joined;
  StatusCode code = StatusCode::kOk;
  int failed = 0;
  for (size_t i = 0; i < n; ++i) {
    if (results[i].ok()) continue;
    if (failed++ > 0) joined += "; ";
    joined += entries_[i].label + ": " + results[i].message();
    if (code == StatusCode::kOk) code = results[i].code();
  }
  if (failed == 0) return Status::Ok();
  return Status(
      code, (failed == 1 ? "event sink write failed: " : "event sink writes failed: ") + joined);
}

Status FanOutSink::WriteChunks(std::span<const Chunk> chunks) { return lode_->WriteChunks(chunks); }

Status FanOutSink::CheckEvent(const Event& event) const {
  // A best-effort sink does not fail the run for an event it cannot store.
  for (const Entry& e : entries_) {
    if (e.delivery != Delivery::kMandatory) continue;
    QUARRY_RETURN_IF_ERROR(e.sink->CheckEvent(event));
  }
  return Status::Ok();
}

Status FanOutSink::Close() {
  Status first;
  for (auto& e : entries_) {
    if (!e.owned) continue;
    Status s = e.owned->Close();
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

uint64_t FanOutSink::events_stored() const { return events_stored_.load(); }

std::vector<FanOutSink::SinkCounts> FanOutSink::counts() const {
  std::vector<SinkCounts> out;
  for (size_t i = 0; i < entries_.size(); ++i) {
    out.push_back({entries_[i].label, state_[i]->stored.load(), state_[i]->dropped.load()});
  }
  return out;
}

StatusOr<std::unique_ptr<FanOutSink>> NewFanOutSink(BatchSink* lode,
                                                    const std::vector<SinkConfig>& configs,
                                                    const RunLabels& labels,
                                                    const log::RunContext* log_ctx,
                                                    BreakerOptions breaker) {
  std::vector<FanOutSink::Entry> entries;
  if (configs.empty()) {
    entries.push_back({"lode", Delivery::kMandatory, lode, nullptr});
  }
  for (const SinkConfig& c : configs) {
    for (const auto& e : entries) {
      if (e.label == c.type) return InvalidArgumentError("duplicate event sink \"" + c.type + "\"");
    }
    if (c.type == "lode") {
      entries.push_back({"lode", c.delivery, lode, nullptr});
    } else if (c.type == "redis") {
      RedisSinkConfig rc = c.redis;
      // A best_effort delivery must not hold the run up: its retries are made at once, and the
      // breaker's probes do the waiting.
      if (c.delivery == Delivery::kBestEffort) rc.backoff = false;
      QUARRY_ASSIGN_OR_RETURN(auto sink, NewRedisStreamSink(rc, labels));
      entries.push_back({"redis", c.delivery, nullptr, std::move(sink)});
    } else {
      return InvalidArgumentError("unknown event sink \"" + c.type + "\": must be lode or redis");
    }
  }
  return std::make_unique<FanOutSink>(lode, std::move(entries), log_ctx, std::move(breaker));
}

}  // namespace quarry::sinks
