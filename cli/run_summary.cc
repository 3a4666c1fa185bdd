#include "run_summary.h"

#include <cctype>
#include <cstdio>
#include <string_view>

#include "quarry/duration.h"
#include "quarry/lode/run_writer.h"
#include "quarry/redact.h"
#include "quarry/run/report.h"

namespace quarry::cli {
namespace {

void Row(std::string* out, const std::string& key, const std::string& value) {
  std::string k = key + ":";
  k.resize(std::max<size_t>(k.size(), 18), ' ');
  // Values come from users and scripts: a newline in a run id must not break the row.
  *out += "  " + k + PrintableValue(value, 400) + "\n";
}

std::string Ms(int64_t ms) { return FormatDuration(std::chrono::milliseconds(ms)); }

// A shell word on one line: bare when it holds only safe characters, else single-quoted, or
// $'...' with escapes when it holds control characters (a newline in a run id).
std::string ShellWord(const std::string& s) {
  bool plain = !s.empty(), control = false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    plain &= std::isalnum(u) || std::string_view("-_./:=@%+,").find(c) != std::string_view::npos;
    control |= u < 0x20 || u == 0x7f;
  }
  if (plain) return s;
  if (!control) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }
  std::string out = "$'";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string FormatDataLocation(const run::RunResult& r, const DataLocation& where) {
  std::string dataset_dir = where.storage_root + "/datasets/" + where.dataset;
  std::string partition = "partitions/source=" + lode::EscapePartitionValue(where.source) +
                          "/category=" + lode::EscapePartitionValue(where.category) +
                          "/day=" + r.day + "/run_id=" + lode::EscapePartitionValue(r.meta.run_id);
  const lode::StorageLocation& st = where.storage;
  std::string flags =
      " --storage-backend " + ShellWord(st.backend) + " --storage-path " + ShellWord(st.path);
  if (st.backend == "s3") {
    if (!st.region.empty()) flags += " --storage-region " + ShellWord(st.region);
    if (!st.endpoint.empty()) flags += " --storage-endpoint " + ShellWord(st.endpoint);
    if (st.s3_path_style) flags += " --storage-s3-path-style";
  }
  if (where.dataset != "quarry") flags += " --storage-dataset " + ShellWord(where.dataset);
  std::string out = "=== Data ===\n";
  Row(&out, "Dataset", dataset_dir);
  Row(&out, "Partition", partition + "/");
  out += "  Inspect:          quarry inspect run " + ShellWord(r.meta.run_id) + flags + "\n";
  out += "  Export:           quarry export --run-id " + ShellWord(r.meta.run_id) + flags + "\n";
  return out;
}

std::string FormatRunSummary(const run::RunResult& r, const policy::PolicyConfig& pc,
                             std::chrono::steady_clock::duration wall_time,
                             const DataLocation& where) {
  auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall_time).count();
  std::string out = "\n";
  out += "run_id=" + PrintableValue(r.meta.run_id, 256) +
         ", attempt=" + std::to_string(r.meta.attempt) +
         ", outcome=" + std::string(run::OutcomeName(r.outcome)) + ", duration=" + Ms(wall_ms) +
         "\n";
  if (pc.name == "buffered") {
    out += "policy=buffered, flush_mode=" + pc.flush_mode +
           ", drops=" + std::to_string(r.policy_stats.events_dropped) +
           ", buffer_bytes=" + std::to_string(pc.buffer_bytes) + "\n";
  } else if (pc.name == "streaming") {
    out += "policy=streaming, flush_count=" + std::to_string(pc.flush_count) +
           ", flush_interval=" + FormatDuration(pc.flush_interval) +
           ", flushes=" + std::to_string(r.policy_stats.flush_count) + "\n";
  } else {
    out += "policy=" + pc.name + "\n";
  }
  out += "=== Run Result ===\n";
  Row(&out, "Run ID", r.meta.run_id);
  if (r.meta.job_id) Row(&out, "Job ID", *r.meta.job_id);
  if (r.meta.parent_run_id) Row(&out, "Parent Run", *r.meta.parent_run_id);
  Row(&out, "Attempt", std::to_string(r.meta.attempt));
  Row(&out, "Outcome", std::string(run::OutcomeName(r.outcome)));
  Row(&out, "Message", r.message);
  Row(&out, "Duration", Ms(r.duration_ms));
  Row(&out, "Events", std::to_string(r.event_count));
  if (r.proxy_used) {
    out += "=== Proxy ===\n";
    Row(&out, "Protocol", r.proxy_used->protocol);
    Row(&out, "Host", r.proxy_used->host);
    Row(&out, "Port", std::to_string(r.proxy_used->port));
    if (r.proxy_used->username) Row(&out, "Username", *r.proxy_used->username);
  }
  out += "=== Policy Stats ===\n";
  Row(&out, "Events Total", std::to_string(r.policy_stats.total_events));
  Row(&out, "Events Persisted", std::to_string(r.policy_stats.events_persisted));
  Row(&out, "Events Dropped", std::to_string(r.policy_stats.events_dropped));
  Row(&out, "Chunks Total", std::to_string(r.policy_stats.total_chunks));
  Row(&out, "Flushes", std::to_string(r.policy_stats.flush_count));
  if (r.artifacts.total > 0) {
    out += "=== Artifact Stats ===\n";
    Row(&out, "Total Artifacts", std::to_string(r.artifacts.total));
    Row(&out, "Committed", std::to_string(r.artifacts.committed));
    Row(&out, "Orphaned", std::to_string(r.artifacts.orphaned));
    Row(&out, "Total Chunks", std::to_string(r.artifacts.chunks));
    Row(&out, "Total Bytes", std::to_string(r.artifacts.bytes));
  }
  if (!r.artifacts.orphan_ids.empty()) {
    out += "=== Orphan Artifacts ===\n";
    for (const auto& id : r.artifacts.orphan_ids) out += "  " + id + "\n";
  }
  if (!r.stderr_text.empty()) {
    out += "=== Executor Stderr ===\n" + r.stderr_text;
    if (out.back() != '\n') out += '\n';
  }
  out += "=== Metrics ===\n" + run::MetricsSummaryText(r.metrics);
  if (!r.day.empty()) out += FormatDataLocation(r, where);
  return out;
}

}  // namespace quarry::cli
