#include "lode/manifest.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "quarry/json/canonical_json.h"
#include "quarry/lode/run_writer.h"

namespace quarry::lode {
namespace {

void AppendUint(uint64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void AppendPadded(int64_t v, int width, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  for (int n = static_cast<int>(r.ptr - buf); n < width; ++n) out->push_back('0');
  out->append(buf, r.ptr);
}

void AppendNewline(int depth, std::string* out) {
  out->push_back('\n');
  out->append(static_cast<size_t>(depth) * 2, ' ');
}

}  // namespace

std::string FormatRfc3339Nanos(int64_t unix_ns) {
  int64_t secs = unix_ns / 1000000000;
  int64_t nanos = unix_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string out;
  out.reserve(32);
  AppendPadded(tm.tm_year + 1900, 4, &out);
  out.push_back('-');
  AppendPadded(tm.tm_mon + 1, 2, &out);
  out.push_back('-');
  AppendPadded(tm.tm_mday, 2, &out);
  out.push_back('T');
  AppendPadded(tm.tm_hour, 2, &out);
  out.push_back(':');
  AppendPadded(tm.tm_min, 2, &out);
  out.push_back(':');
  AppendPadded(tm.tm_sec, 2, &out);
  if (nanos != 0) {
    out.push_back('.');
    const size_t start = out.size();
    AppendPadded(nanos, 9, &out);
    while (out.size() > start && out.back() == '0') out.pop_back();
  }
  out.push_back('Z');
  return out;
}

void IndentJson(std::string_view compact, std::string* out, int base_depth) {
  int depth = base_depth;
  bool need_indent = false;  // just opened a container; indent unless it closes at once
  for (size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    if (need_indent && c != '}' && c != ']') {
      need_indent = false;
      AppendNewline(depth, out);
    }
    switch (c) {
      case '"': {
        // Copy the whole string literal at once; only an unescaped quote ends it.
        size_t end = i + 1;
        while (end < compact.size() && compact[end] != '"') {
          end += compact[end] == '\\' ? 2 : 1;
        }
        end = std::min(end, compact.size() - 1);
        out->append(compact.substr(i, end - i + 1));
        i = end;
        break;
      }
      case '{':
      case '[':
        out->push_back(c);
        need_indent = true;
        ++depth;
        break;
      case '}':
      case ']':
        --depth;
        if (need_indent) {
          need_indent = false;
        } else {
          AppendNewline(depth, out);
        }
        out->push_back(c);
        break;
      case ',':
        out->push_back(c);
        AppendNewline(depth, out);
        break;
      case ':':
        out->append(": ");
        break;
      default:
        out->push_back(c);
    }
  }
}

std::string RunDescriptorJson(const RunDescriptor& run) {
  json::ObjectBuilder b;
  b.AddInt("attempt", run.attempt)
      .AddString("category", run.category)
      .AddString("day", run.day)
      .AddString("executor", run.executor)
      .AddString("policy", run.policy)
      .AddString("run_id", run.run_id)
      .AddString("source", run.source)
      .AddString("started_at", run.started_at);
  if (run.job_id) b.AddString("job_id", *run.job_id);
  if (run.parent_run_id) b.AddString("parent_run_id", *run.parent_run_id);
  if (run.fanout) {
    // D5: the child's link to the enqueuing run; never called parent_run_id, which is lineage.
    b.AddString("enqueued_by_run_id", run.fanout->enqueued_by_run_id)
        .AddString("enqueued_by_event_id", run.fanout->enqueued_by_event_id)
        .AddInt("fanout_depth", run.fanout->depth);
  }
  return b.Build();
}

std::string BuildManifestJson(const ManifestFields& m) {
  // Written in its indented form directly: the layout is fixed, and re-indenting a compact
  // document was the largest cost of a small commit.
  std::string o;
  o.reserve(700 + m.runs_indented.size() * 400 + m.sidecars.size() * 300 + m.files.size() * 250);
  o.append(
      "{\n  \"schema_name\": \"lode-manifest\",\n  \"format_version\": \"1.0.0\",\n"
      "  \"dataset_id\": ");
  json::AppendString(m.dataset_id, &o);
  o.append(",\n  \"snapshot_id\": ");
  json::AppendString(m.snapshot_id, &o);
  o.append(",\n  \"created_at\": \"").append(FormatRfc3339Nanos(m.created_at_unix_ns));
  // Metadata keys in sorted order: quarry_runs < sidecar_files.
  o.append("\",\n  \"metadata\": {\n    \"quarry_runs\": [");
  for (size_t i = 0; i < m.runs_indented.size(); ++i) {
    o.append(i == 0 ? "\n      " : ",\n      ");
    o.append(m.runs_indented[i]);
  }
  o.append(m.runs_indented.empty() ? "]" : "\n    ]");
  if (!m.sidecars.empty()) {
    // Field order of the reference is fixed by §4.12, not sorted.
    o.append(",\n    \"sidecar_files\": [");
    for (size_t i = 0; i < m.sidecars.size(); ++i) {
      const SidecarRef& s = m.sidecars[i];
      o.append(i == 0 ? "\n      {\n        \"path\": " : ",\n      {\n        \"path\": ");
      json::AppendString(s.path, &o);
      o.append(",\n        \"filename\": ");
      json::AppendString(s.filename, &o);
      o.append(",\n        \"content_type\": ");
      json::AppendString(s.content_type, &o);
      o.append(",\n        \"size\": ");
      AppendUint(s.size, &o);
      o.append("\n      }");
    }
    o.append("\n    ]");
  }
  o.append("\n  },\n  \"files\": [");
  for (size_t i = 0; i < m.files.size(); ++i) {
    o.append(i == 0 ? "\n    {\n      \"path\": " : ",\n    {\n      \"path\": ");
    json::AppendString(m.files[i].path, &o);
    o.append(",\n      \"size_bytes\": ");
    AppendUint(m.files[i].size_bytes, &o);
    o.append("\n    }");
  }
  o.append(m.files.empty() ? "]" : "\n  ]");
  if (!m.parent_snapshot_id.empty()) {
    o.append(",\n  \"parent_snapshot_id\": ");
    json::AppendString(m.parent_snapshot_id, &o);
  }
  o.append(",\n  \"row_count\": ");
  AppendUint(m.row_count, &o);
  o.append(
      ",\n  \"codec\": \"jsonl\",\n  \"compressor\": \"noop\",\n  \"partitioner\": "
      "\"hive\"\n}");
  return o;
}

}  // namespace quarry::lode
