#include "quarry/adapters/outbox.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "quarry/json/canonical_json.h"
#include "quarry/json/parse.h"
#include "quarry/lode/run_writer.h"
#include "quarry/redact.h"
#include "quarry/sha256.h"

namespace quarry::adapters {
namespace {

constexpr std::string_view kOutboxSegment = "/event_type=adapter_outbox/";

int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Rfc3339(int64_t unix_ns) {
  std::time_t secs = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string RunDir(const std::string& dataset, const std::string& source,
                   const std::string& category, const std::string& day, const std::string& run_id) {
  return "datasets/" + dataset + "/partitions/source=" + lode::EscapePartitionValue(source) +
         "/category=" + lode::EscapePartitionValue(category) +
         "/day=" + lode::EscapePartitionValue(day) +
         "/run_id=" + lode::EscapePartitionValue(run_id) + std::string(kOutboxSegment);
}

// One outbox record line: the state, then the entry's fields in a fixed order, `created_at` being
// when this record (not the first one of the run) was written.
std::string RecordLine(std::string_view state, const OutboxEntry& e,
                       const std::string& created_at) {
  std::string o = "{\"record_kind\":\"adapter_outbox\",\"state\":";
  json::AppendString(state, &o);
  auto add = [&](const char* k, const std::string& v) {
    o += ",\"";
    o += k;
    o += "\":";
    json::AppendString(v, &o);
  };
  add("run_id", e.run_id);
  add("source", e.source);
  add("category", e.category);
  add("day", e.day);
  add("created_at", created_at);
  add("adapter_type", e.adapter_type);
  add("target", e.target);
  if (!e.target_key.empty()) add("target_key", e.target_key);
  add("notification", e.notification);
  o += "}\n";
  return o;
}

}  // namespace

std::string OutboxTarget(const AdapterConfig& c) {
  std::string t = c.type + " " + RedactUrl(c.url);
  if (c.type == "redis") {
    t += " channel " + (c.channel.empty() ? std::string(kDefaultChannel) : c.channel);
  }
  return t;
}

std::string OutboxTargetKey(const AdapterConfig& c) {
  const std::string channel =
      c.type == "redis" ? (c.channel.empty() ? std::string(kDefaultChannel) : c.channel) : "";
  const std::string material = c.type + "\n" + c.url + "\n" + channel;
  return "sha256:" + Sha256Hex(material);
}

Outbox::Outbox(std::shared_ptr<lode::Store> store, std::string dataset)
    : store_(std::move(store)), dataset_(std::move(dataset)) {}

Status Outbox::Put(const std::string& dir, std::string_view state, const std::string& body) {
  // <20-digit unix nanoseconds>-<state>.json: names sort by time; a clash takes a later time.
  for (int i = 0; i < 100; ++i) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%020lld", static_cast<long long>(NowUnixNs() + i));
    Status s = store_->Put(dir + stamp + "-" + std::string(state) + ".json", body);
    if (s.code() != StatusCode::kAlreadyExists) return s;
  }
  return AlreadyExistsError("outbox: could not pick a unique record name");
}

Status Outbox::Append(std::string_view state, const RunCompleted& n, const std::string& json,
                      const AdapterConfig& config) {
  OutboxEntry e;
  e.run_id = n.run_id;
  e.source = n.source;
  e.category = n.category;
  e.day = n.day;
  e.adapter_type = config.type;
  e.target = OutboxTarget(config);
  e.target_key = OutboxTargetKey(config);
  e.notification = json;
  return Put(RunDir(dataset_, n.source, n.category, n.day, n.run_id), state,
             RecordLine(state, e, Rfc3339(NowUnixNs())));
}

StatusOr<std::vector<OutboxEntry>> Outbox::Pending() {
  const std::string prefix = "datasets/" + dataset_ + "/partitions/";
  auto keys = store_->List(prefix);
  if (!keys.ok()) {
    if (keys.status().code() == StatusCode::kNotFound) return std::vector<OutboxEntry>();
    return keys.status();
  }
  std::map<std::string, std::string> latest;  // dir -> latest record key
  for (const std::string& k : *keys) {
    size_t at = k.find(kOutboxSegment);
    if (at == std::string::npos || !k.ends_with(".json")) continue;
    std::string dir = k.substr(0, at + kOutboxSegment.size());
    if (k.find('/', dir.size()) != std::string::npos) continue;
    auto& cur = latest[dir];
    if (cur.empty() || k > cur) cur = k;
  }
  std::vector<OutboxEntry> out;
  for (const auto& [dir, key] : latest) {
    auto body = store_->Get(key);
    if (!body.ok()) return body.status();
    StatusOr<nlohmann::json> parsed = json::ParseJson(*body, "outbox record " + key);
    if (!parsed.ok()) return DataLossError(parsed.status().message());
    const nlohmann::json& j = *parsed;
    if (!j.is_object()) {
      return DataLossError("outbox record " + key + " is not a JSON object");
    }
    OutboxEntry e;
    e.key = key;
    e.state = json::StringOr(j, "state", "");
    if (e.state != kOutboxPending) continue;
    e.run_id = json::StringOr(j, "run_id", "");
    e.source = json::StringOr(j, "source", "");
    e.category = json::StringOr(j, "category", "");
    e.day = json::StringOr(j, "day", "");
    e.adapter_type = json::StringOr(j, "adapter_type", "");
    e.target = json::StringOr(j, "target", "");
    e.target_key = json::StringOr(j, "target_key", "");
    e.created_at = json::StringOr(j, "created_at", "");
    e.notification = json::StringOr(j, "notification", "");
    std::string name = key.substr(dir.size());
    e.created_unix_ns = std::atoll(name.substr(0, name.find('-')).c_str());
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const OutboxEntry& a, const OutboxEntry& b) {
    return a.created_unix_ns < b.created_unix_ns;
  });
  return out;
}

Status Outbox::MarkDelivered(const OutboxEntry& e) {
  return Put(e.key.substr(0, e.key.rfind('/') + 1), kOutboxDelivered,
             RecordLine(kOutboxDelivered, e, Rfc3339(NowUnixNs())));
}

Status DeliverWithOutbox(Outbox* outbox, Adapter* adapter, const AdapterConfig& config,
                         const RunCompleted& n,
                         const std::function<void(const std::string&)>& warn) {
  const std::string json = RunCompletedJson(n);
  bool recorded = true;
  if (Status s = outbox->Append(kOutboxPending, n, json, config); !s.ok()) {
    recorded = false;
    if (warn) warn("outbox: could not record the pending notification: " + s.message());
  }
  QUARRY_RETURN_IF_ERROR(adapter->Publish(json));
  if (recorded) {
    if (Status s = outbox->Append(kOutboxDelivered, n, json, config); !s.ok() && warn) {
      warn("outbox: could not record the delivery: " + s.message());
    }
  }
  return Status::Ok();
}

StatusOr<RedriveResult> Redrive(Outbox* outbox, Adapter* adapter, const AdapterConfig& config,
                                std::optional<Duration> max_age,
                                const std::function<void(const std::string&)>& warn) {
  QUARRY_ASSIGN_OR_RETURN(std::vector<OutboxEntry> pending, outbox->Pending());
  RedriveResult r;
  const std::string target = OutboxTarget(config);
  const std::string target_key = OutboxTargetKey(config);
  const int64_t now = NowUnixNs();
  for (const OutboxEntry& e : pending) {
    const bool same = e.target_key.empty() ? e.target == target : e.target_key == target_key;
    if (!same || (max_age && now - e.created_unix_ns > max_age->count())) {
      ++r.skipped;
      ++r.left_pending;
      continue;
    }
    if (Status s = adapter->Publish(e.notification); !s.ok()) {
      ++r.failed;
      ++r.left_pending;
      if (warn) warn("outbox: re-delivery for run " + e.run_id + " failed: " + s.message());
      continue;
    }
    if (Status s = outbox->MarkDelivered(e); !s.ok()) {
      ++r.left_pending;
      if (warn)
        warn("outbox: could not record the delivery for run " + e.run_id + ": " + s.message());
      continue;
    }
    ++r.delivered;
  }
  return r;
}

}  // namespace quarry::adapters
