#include <future>
#include <nlohmann/json.hpp>

#include "quarry/sinks/event_sinks.h"

namespace quarry::sinks {

StatusOr<Delivery> ParseDelivery(std::string_view text) {
  if (text.empty() || text == "mandatory") return Delivery::kMandatory;
  if (text == "best_effort") return Delivery::kBestEffort;
  return InvalidArgumentError("invalid delivery mode \"" + std::string(text) +
                              "\": must be mandatory or best_effort");
}

std::string_view DeliveryName(Delivery d) {
  return d == Delivery::kMandatory ? "mandatory" : "best_effort";
}

FanOutSink::FanOutSink(BatchSink* lode, std::vector<Entry> entries, const log::RunContext* log_ctx)
    : lode_(lode), entries_(std::move(entries)), log_ctx_(log_ctx) {
  for (auto& e : entries_) {
    if (e.owned) e.sink = e.owned.get();
    if (e.sink == lode_ && e.delivery == Delivery::kMandatory) lode_mandatory_ = true;
  }
}

FanOutSink::~FanOutSink() { (void)Close(); }

Status FanOutSink::Call(Entry& e, std::span<const Event> events) {
  Status s = e.sink->WriteEvents(events);
  if (!s.ok() && e.delivery == Delivery::kBestEffort) {
    log::Write(log::Level::kWarn,
               "best-effort event sink write failed: " + e.label + ": " + s.message(), log_ctx_,
               nlohmann::json{{"sink", e.label}, {"error", s.message()}}.dump());
    return Status::Ok();
  }
  return s;
}

Status FanOutSink::WriteEvents(std::span<const Event> events) {
  // One sink is called directly: its error reaches the policy unchanged (e.g. Lode's
  // line-limit message), unless it is best effort.
  if (entries_.size() == 1) return Call(entries_[0], events);
  std::vector<Status> results(entries_.size());
  {
    std::vector<std::future<Status>> pending;
    for (size_t i = 1; i < entries_.size(); ++i) {
      pending.push_back(
          std::async(std::launch::async, [this, i, events] { return Call(entries_[i], events); }));
    }
    results[0] = Call(entries_[0], events);
    for (size_t i = 1; i < entries_.size(); ++i) results[i] = pending[i - 1].get();
  }
  std::string joined;
  StatusCode code = StatusCode::kOk;
  int failed = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
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
  // Only a mandatory Lode sink must be able to store the event; a best-effort or absent one
  // does not fail the run for it (the Redis sink refuses unencodable payloads when it writes).
  if (lode_mandatory_) return lode_->CheckEvent(event);
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

StatusOr<std::unique_ptr<FanOutSink>> NewFanOutSink(BatchSink* lode,
                                                    const std::vector<SinkConfig>& configs,
                                                    const RunLabels& labels,
                                                    const log::RunContext* log_ctx) {
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
      QUARRY_ASSIGN_OR_RETURN(auto sink, NewRedisStreamSink(c.redis, labels));
      entries.push_back({"redis", c.delivery, nullptr, std::move(sink)});
    } else {
      return InvalidArgumentError("unknown event sink \"" + c.type + "\": must be lode or redis");
    }
  }
  return std::make_unique<FanOutSink>(lode, std::move(entries), log_ctx);
}

}  // namespace quarry::sinks
