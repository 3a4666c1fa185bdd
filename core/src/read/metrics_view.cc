// `stats metrics` (storage-and-policies.md §6.7, D11.27) and `debug ipc` (§6.8).
#include <algorithm>

#include "quarry/read/model.h"

namespace quarry::read {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr const char* kLifecycle[] = {
    "runs_started_total",    "runs_completed_total",   "runs_failed_total",   "runs_crashed_total",
    "events_received_total", "events_persisted_total", "events_dropped_total"};
constexpr const char* kLater[] = {"executor_launch_success_total", "executor_launch_failure_total",
                                  "executor_crash_total",          "ipc_decode_errors_total",
                                  "lode_write_success_total",      "lode_write_failure_total",
                                  "lode_write_retry_total"};
constexpr const char* kDimensions[] = {"policy", "executor", "storage_backend"};
constexpr const char* kRequired[] = {"ts", "run_id", "policy", "executor", "storage_backend"};

// Integers or floats (§6.7); anything else counts 0.
int64_t Number(const json& v) {
  if (v.is_number_float()) return static_cast<int64_t>(v.get<double>());
  if (v.is_number_unsigned()) return static_cast<int64_t>(v.get<uint64_t>());
  if (v.is_number_integer()) return v.get<int64_t>();
  return 0;
}

int64_t Counter(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? 0 : Number(*it);
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

Status CheckRequired(const json& rec) {
  for (const char* key : kRequired) {
    auto it = rec.find(key);
    if (it == rec.end() || !it->is_string()) {
      return DataLossError(std::string("metrics record missing required field: ") + key);
    }
  }
  return Status::Ok();
}

// A per-key sum of an object of counters (dropped_by_type, flush_triggers), keys sorted.
void SumInto(const json& from, std::map<std::string, int64_t>* into) {
  if (!from.is_object()) return;
  for (auto it = from.begin(); it != from.end(); ++it) (*into)[it.key()] += Number(it.value());
}

ordered_json SortedObject(const std::map<std::string, int64_t>& m) {
  ordered_json o = ordered_json::object();
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

std::vector<const MetricsRecord*> Matching(const Dataset& d, std::string_view run_id,
                                           std::string_view source) {
  std::vector<const MetricsRecord*> out;
  for (const MetricsRecord& m : d.metrics()) {
    if (!run_id.empty() && m.run_id != run_id) continue;
    if (!source.empty() && m.source != source) continue;
    out.push_back(&m);
  }
  return out;
}

}  // namespace

StatusOr<ordered_json> MetricsView(const Dataset& d, std::string_view run_id,
                                   std::string_view source) {
  std::vector<const MetricsRecord*> recs = Matching(d, run_id, source);
  if (recs.empty()) return NotFoundError("no metrics records found");
  for (const MetricsRecord* m : recs) QUARRY_RETURN_IF_ERROR(CheckRequired(*m->record));
  const json& newest = *recs.back()->record;
  ordered_json out;
  out["ts"] = Str(newest, "ts");
  std::map<std::string, int64_t> dropped, triggers;
  bool has_triggers = false;
  const bool single = !run_id.empty();
  const auto& use = single ? std::vector<const MetricsRecord*>{recs.back()} : recs;
  for (const char* key : kLifecycle) {
    int64_t sum = 0;
    for (const MetricsRecord* m : use) sum += Counter(*m->record, key);
    out[key] = sum;
  }
  for (const MetricsRecord* m : use) {
    if (auto it = m->record->find("dropped_by_type"); it != m->record->end()) {
      SumInto(*it, &dropped);
    }
    if (auto it = m->record->find("flush_triggers"); it != m->record->end() && it->is_object()) {
      has_triggers = true;
      SumInto(*it, &triggers);
    }
  }
  if (!dropped.empty()) out["dropped_by_type"] = SortedObject(dropped);
  if (has_triggers) out["flush_triggers"] = SortedObject(triggers);
  for (const char* key : kLater) {
    int64_t sum = 0;
    for (const MetricsRecord* m : use) sum += Counter(*m->record, key);
    out[key] = sum;
  }
  for (const char* key : kDimensions) {
    std::string common = Str(*use.front()->record, key);
    for (const MetricsRecord* m : use) {
      if (Str(*m->record, key) != common) {
        common = "mixed";
        break;
      }
    }
    out[key] = common;
  }
  out["run_id"] = Str(newest, "run_id");
  std::string job = Str(*use.front()->record, "job_id");
  for (const MetricsRecord* m : use) {
    if (Str(*m->record, "job_id") != job) {
      job.clear();
      break;
    }
  }
  if (!job.empty()) out["job_id"] = job;
  if (!single) out["runs"] = static_cast<int64_t>(use.size());
  return out;
}

ordered_json IpcView(const Dataset& d, std::string_view run_id, bool verbose) {
  std::vector<const MetricsRecord*> recs = Matching(d, run_id, "");
  int64_t sent = 0, errors = 0;
  ordered_json recent = ordered_json::array();
  ordered_json last_error = nullptr;
  for (const MetricsRecord* m : recs) {
    sent += Counter(*m->record, "events_received_total");
    errors += Counter(*m->record, "ipc_decode_errors_total");
  }
  for (auto it = recs.rbegin(); it != recs.rend(); ++it) {
    const json& r = *(*it)->record;
    if (Counter(r, "ipc_decode_errors_total") <= 0 && Counter(r, "executor_crash_total") <= 0) {
      continue;
    }
    if (last_error.is_null()) last_error = Str(r, "outcome_message");
    if (recent.size() < 10) {
      recent.push_back({{"run_id", Str(r, "run_id")},
                        {"ts", Str(r, "ts")},
                        {"message", Str(r, "outcome_message")}});
    }
  }
  ordered_json out;
  out["transport"] = "stdio";
  out["encoding"] = "msgpack";
  out["messages_sent"] = sent;
  out["errors"] = errors;
  out["last_error"] = last_error;
  if (verbose) out["recent_errors"] = recent;
  return out;
}

}  // namespace quarry::read
