#include "quarry/run/report.h"

#include <nlohmann/json.hpp>

#include "quarry/json/canonical_json.h"

namespace quarry::run {
namespace {

using ordered_json = nlohmann::ordered_json;

// The counters of §7.2, named once for the report, the metrics record and the summary. The
// report and the summary show the per-type drops and flush triggers between the two groups.
struct Counter {
  const char* name;
  uint64_t RunMetrics::*field;
};
constexpr Counter kRunCounters[] = {
    {"runs_started_total", &RunMetrics::runs_started_total},
    {"runs_completed_total", &RunMetrics::runs_completed_total},
    {"runs_failed_total", &RunMetrics::runs_failed_total},
    {"runs_crashed_total", &RunMetrics::runs_crashed_total},
    {"events_received_total", &RunMetrics::events_received_total},
    {"events_persisted_total", &RunMetrics::events_persisted_total},
    {"events_dropped_total", &RunMetrics::events_dropped_total},
};
constexpr Counter kIoCounters[] = {
    {"executor_launch_success_total", &RunMetrics::executor_launch_success_total},
    {"executor_launch_failure_total", &RunMetrics::executor_launch_failure_total},
    {"executor_crash_total", &RunMetrics::executor_crash_total},
    {"ipc_decode_errors_total", &RunMetrics::ipc_decode_errors_total},
    {"lode_write_success_total", &RunMetrics::lode_write_success_total},
    {"lode_write_failure_total", &RunMetrics::lode_write_failure_total},
    {"lode_write_retry_total", &RunMetrics::lode_write_retry_total},
};

ordered_json TriggersJson(const policy::FlushTriggers& t) {
  return ordered_json{{"count", t.count},
                      {"interval", t.interval},
                      {"termination", t.termination},
                      {"capacity", t.capacity}};
}

ordered_json MetricsJson(const RunMetrics& m) {
  ordered_json j;
  for (const Counter& c : kRunCounters) j[c.name] = m.*c.field;
  if (!m.dropped_by_type.empty()) j["dropped_by_type"] = m.dropped_by_type;
  if (m.flush_triggers) j["flush_triggers"] = TriggersJson(*m.flush_triggers);
  if (m.events_persisted_by_sink) {
    j["events_persisted_by_sink"] = *m.events_persisted_by_sink;
    j["event_sink_dropped_total"] = m.event_sink_dropped_total;
  }
  for (const Counter& c : kIoCounters) j[c.name] = m.*c.field;
  j["policy"] = m.policy;
  j["executor"] = m.executor;
  j["storage_backend"] = m.storage_backend;
  j["run_id"] = m.run_id;
  if (m.job_id && !m.job_id->empty()) j["job_id"] = *m.job_id;
  return j;
}

}  // namespace

std::string MetricsRecordJson(const RunResult& r, const lode::RunDescriptor& run,
                              const std::string& ts) {
  const RunMetrics& m = r.metrics;
  json::ObjectBuilder b;
  b.AddString("record_kind", "metrics").AddString("event_type", "metrics").AddString("ts", ts);
  for (const Counter& c : kRunCounters) b.AddUint(c.name, m.*c.field);
  for (const Counter& c : kIoCounters) b.AddUint(c.name, m.*c.field);
  if (!m.dropped_by_type.empty()) {
    json::ObjectBuilder dropped;
    for (const auto& [type, n] : m.dropped_by_type) dropped.AddUint(type, n);
    b.AddRaw("dropped_by_type", dropped.Build());
  }
  if (m.events_persisted_by_sink) {
    json::ObjectBuilder by_sink;
    for (const auto& [label, n] : *m.events_persisted_by_sink) by_sink.AddUint(label, n);
    b.AddRaw("events_persisted_by_sink", by_sink.Build());
    b.AddUint("event_sink_dropped_total", m.event_sink_dropped_total);
  }
  if (m.flush_triggers) {
    json::ObjectBuilder t;
    t.AddUint("count", m.flush_triggers->count)
        .AddUint("interval", m.flush_triggers->interval)
        .AddUint("termination", m.flush_triggers->termination)
        .AddUint("capacity", m.flush_triggers->capacity);
    b.AddRaw("flush_triggers", t.Build());
  }
  b.AddString("policy", m.policy)
      .AddString("executor", m.executor)
      .AddString("storage_backend", m.storage_backend)
      .AddString("run_id", m.run_id);
  if (m.job_id && !m.job_id->empty()) b.AddString("job_id", *m.job_id);
  b.AddString("source", run.source).AddString("category", run.category).AddString("day", run.day);
  b.AddString("outcome", OutcomeName(r.outcome)).AddString("outcome_message", r.message);
  if (run.fanout) {
    b.AddString("enqueued_by_run_id", run.fanout->enqueued_by_run_id)
        .AddString("enqueued_by_event_id", run.fanout->enqueued_by_event_id)
        .AddInt("fanout_depth", run.fanout->depth);
  }
  return b.Build();
}

std::string ReportJson(const RunResult& r, int exit_code) {
  ordered_json j;
  j["run_id"] = r.meta.run_id;
  if (r.meta.job_id && !r.meta.job_id->empty()) j["job_id"] = *r.meta.job_id;
  j["attempt"] = r.meta.attempt;
  j["outcome"] = OutcomeName(r.outcome);
  j["message"] = r.message;
  j["exit_code"] = exit_code;
  j["duration_ms"] = r.duration_ms;
  j["event_count"] = r.event_count;
  ordered_json policy;
  policy["name"] = r.policy_name;
  policy["events_received"] = r.policy_stats.total_events;
  policy["events_persisted"] = r.policy_stats.events_persisted;
  policy["events_dropped"] = r.policy_stats.events_dropped;
  if (r.policy_stats.flush_triggers) {
    policy["flush_triggers"] = TriggersJson(*r.policy_stats.flush_triggers);
  }
  j["policy"] = policy;
  j["artifacts"] = ordered_json{{"total", r.artifacts.total},
                                {"committed", r.artifacts.committed},
                                {"orphaned", r.artifacts.orphaned},
                                {"chunks", r.artifacts.chunks},
                                {"bytes", r.artifacts.bytes}};
  j["metrics"] = MetricsJson(r.metrics);
  if (r.terminal_summary_json) {
    auto parsed = ordered_json::parse(*r.terminal_summary_json, nullptr, false);
    j["terminal_summary"] = parsed.is_discarded() ? ordered_json::object() : parsed;
  }
  if (r.proxy_used) {
    ordered_json p{{"protocol", r.proxy_used->protocol},
                   {"host", r.proxy_used->host},
                   {"port", r.proxy_used->port}};
    if (r.proxy_used->username) p["username"] = *r.proxy_used->username;
    j["proxy_used"] = p;
  }
  if (!r.stderr_text.empty()) j["stderr"] = r.stderr_text;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string MetricsSummaryText(const RunMetrics& m) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Counter& c : kRunCounters) rows.emplace_back(c.name, std::to_string(m.*c.field));
  for (const auto& [type, n] : m.dropped_by_type) {
    rows.emplace_back("events_dropped{type=" + type + "}", std::to_string(n));
  }
  if (m.flush_triggers) {
    rows.emplace_back("flush_triggers{trigger=count}", std::to_string(m.flush_triggers->count));
    rows.emplace_back("flush_triggers{trigger=interval}",
                      std::to_string(m.flush_triggers->interval));
    rows.emplace_back("flush_triggers{trigger=termination}",
                      std::to_string(m.flush_triggers->termination));
    rows.emplace_back("flush_triggers{trigger=capacity}",
                      std::to_string(m.flush_triggers->capacity));
  }
  if (m.events_persisted_by_sink) {
    for (const auto& [label, n] : *m.events_persisted_by_sink) {
      rows.emplace_back("events_persisted{sink=" + label + "}", std::to_string(n));
    }
    rows.emplace_back("event_sink_dropped_total", std::to_string(m.event_sink_dropped_total));
  }
  for (const Counter& c : kIoCounters) rows.emplace_back(c.name, std::to_string(m.*c.field));
  size_t width = 0;
  for (const auto& [k, v] : rows) width = std::max(width, k.size());
  std::string out;
  for (const auto& [k, v] : rows) {
    out += "  " + k + ":" + std::string(width - k.size() + 1, ' ') + v + "\n";
  }
  out += "  policy=" + m.policy + " executor=" + m.executor +
         " storage_backend=" + m.storage_backend + "\n";
  return out;
}

}  // namespace quarry::run
