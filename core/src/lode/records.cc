#include "lode/records.h"

#include <charconv>
#include <optional>

#include "quarry/json/canonical_json.h"
#include "quarry/lode/run_writer.h"

namespace quarry::lode {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  json::AppendString(s, &out);
  return out;
}

template <typename Int>
void AppendInt(Int v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// Appends a literal such as `,"key":` in one append of a length known at compile time; every line
// opens with its first key written out by hand.
template <size_t N>
void Lit(const char (&text)[N], std::string* out) {
  out->append(text, N - 1);
}

void AppendArtifactEvent(const Event& ev, const RecordContext& ctx, std::string* out) {
  out->append("{\"artifact_id\":");
  json::AppendString(ev.has_artifact_id ? ev.Get(ev.artifact_id) : std::string_view(), out);
  Lit(",\"attempt\":", out);
  AppendInt(ev.attempt, out);
  Lit(",\"category\":", out);
  out->append(ctx.category);
  Lit(",\"content_type\":", out);
  json::AppendString(ev.Get(ev.artifact_content_type), out);
  Lit(",\"contract_version\":", out);
  json::AppendString(ev.Get(ev.contract_version), out);
  Lit(",\"day\":", out);
  out->append(ctx.day);
  Lit(",\"event_id\":", out);
  json::AppendString(ev.Get(ev.event_id), out);
  Lit(",\"event_type\":", out);
  json::AppendString(ev.Type(), out);
  if (ev.has_job_id) {
    Lit(",\"job_id\":", out);
    json::AppendString(ev.Get(ev.job_id), out);
  }
  Lit(",\"name\":", out);
  json::AppendString(ev.Get(ev.artifact_name), out);
  if (ev.has_parent_run_id) {
    Lit(",\"parent_run_id\":", out);
    json::AppendString(ev.Get(ev.parent_run_id), out);
  }
  Lit(",\"policy\":", out);
  out->append(ctx.policy);
  out->append(",\"record_kind\":\"artifact_event\"");
  Lit(",\"run_id\":", out);
  json::AppendString(ev.Get(ev.run_id), out);
  Lit(",\"seq\":", out);
  AppendInt(ev.seq, out);
  // D2: the real byte count, whatever numeric form the frame used.
  Lit(",\"size_bytes\":", out);
  AppendInt(ev.has_artifact_size_bytes ? ev.artifact_size_bytes : uint64_t{0}, out);
  Lit(",\"source\":", out);
  out->append(ctx.source);
  Lit(",\"ts\":", out);
  json::AppendString(ev.Get(ev.ts), out);
  out->append("}\n");
}

}  // namespace

RecordContext::RecordContext(const RunDescriptor& run)
    : category(Quoted(run.category)),
      day(Quoted(run.day)),
      policy(Quoted(run.policy)),
      run_id(Quoted(run.run_id)),
      source(Quoted(run.source)) {}

Status AppendEventLine(const Event& ev, const RecordContext& ctx, std::string* out) {
  if (ev.Type() == "artifact") {
    AppendArtifactEvent(ev, ctx, out);
    return Status::Ok();
  }
  out->append("{\"attempt\":");
  AppendInt(ev.attempt, out);
  Lit(",\"category\":", out);
  out->append(ctx.category);
  Lit(",\"contract_version\":", out);
  json::AppendString(ev.Get(ev.contract_version), out);
  Lit(",\"day\":", out);
  out->append(ctx.day);
  Lit(",\"event_id\":", out);
  json::AppendString(ev.Get(ev.event_id), out);
  Lit(",\"event_type\":", out);
  json::AppendString(ev.Type(), out);
  if (ev.has_job_id) {
    Lit(",\"job_id\":", out);
    json::AppendString(ev.Get(ev.job_id), out);
  }
  if (ev.has_parent_run_id) {
    Lit(",\"parent_run_id\":", out);
    json::AppendString(ev.Get(ev.parent_run_id), out);
  }
  Lit(",\"payload\":", out);
  Status st = json::AppendMsgpackAsJson(ev.Get(ev.payload), "payload", out);
  if (!st.ok()) {
    std::string m = "event seq ";
    AppendInt(ev.seq, &m);
    m.append(" (").append(ev.Type()).append(") cannot be stored: ").append(st.message());
    return Status(StatusCode::kInvalidArgument, std::move(m));
  }
  Lit(",\"policy\":", out);
  out->append(ctx.policy);
  out->append(",\"record_kind\":\"event\"");
  Lit(",\"run_id\":", out);
  json::AppendString(ev.Get(ev.run_id), out);
  Lit(",\"seq\":", out);
  AppendInt(ev.seq, out);
  Lit(",\"source\":", out);
  out->append(ctx.source);
  Lit(",\"ts\":", out);
  json::AppendString(ev.Get(ev.ts), out);
  Lit(",\"type\":", out);
  json::AppendString(ev.Type(), out);
  out->append("}\n");
  return Status::Ok();
}

void AppendChunkPieceLine(const RecordContext& ctx, std::string_view artifact_id, int64_t seq,
                          bool is_last, uint64_t offset, std::string_view data, std::string* out) {
  out->append("{\"artifact_id\":");
  json::AppendString(artifact_id, out);
  Lit(",\"category\":", out);
  out->append(ctx.category);
  Lit(",\"data\":", out);
  out->push_back('"');
  json::AppendBase64(data, out);
  out->push_back('"');
  Lit(",\"day\":", out);
  out->append(ctx.day);
  out->append(",\"event_type\":\"artifact\"");
  Lit(",\"is_last\":", out);
  out->append(is_last ? "true" : "false");
  Lit(",\"length\":", out);
  AppendInt(data.size(), out);
  Lit(",\"offset\":", out);
  AppendInt(offset, out);
  out->append(",\"record_kind\":\"artifact_chunk\"");
  Lit(",\"run_id\":", out);
  out->append(ctx.run_id);
  Lit(",\"seq\":", out);
  AppendInt(seq, out);
  Lit(",\"source\":", out);
  out->append(ctx.source);
  out->append("}\n");
}

size_t RecordContext::Size() const {
  return category.size() + day.size() + policy.size() + run_id.size() + source.size();
}

std::optional<size_t> EventLineSizeBound(const Event& ev, const RecordContext& ctx) {
  if (ev.raw == nullptr) return std::nullopt;
  size_t payload = 0;  // an artifact_event line has no payload
  if (ev.Type() != "artifact") {
    std::optional<size_t> bound = json::MsgpackAsJsonSizeBound(ev.Get(ev.payload));
    if (!bound) return std::nullopt;
    payload = *bound;
  }
  // Every other string of the line is a part of the frame (the type twice), escaped to at most 6
  // bytes per byte; keys, quotes, punctuation and three integers take well under 1 KiB.
  return payload + 6 * (ev.raw->size() + ev.Type().size()) + ctx.Size() + 1024;
}

Status LineTooLongError(const Event& ev, size_t line_bytes) {
  std::string m = "event seq ";
  AppendInt(ev.seq, &m);
  m.append(" (").append(ev.Type()).append(") encodes to ");
  AppendInt(line_bytes, &m);
  m.append(" bytes; stored lines are limited to 10485760 bytes");
  return InvalidArgumentError(std::move(m));
}

}  // namespace quarry::lode
