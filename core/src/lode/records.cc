#include "lode/records.h"

#include <charconv>

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

// Appends `,"key":`; every line opens with its first key written out by hand.
void Key(std::string_view key, std::string* out) {
  out->push_back(',');
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

void AppendArtifactEvent(const Event& ev, const RecordContext& ctx, std::string* out) {
  out->append("{\"artifact_id\":");
  json::AppendString(ev.has_artifact_id ? ev.Get(ev.artifact_id) : std::string_view(), out);
  Key("attempt", out);
  AppendInt(ev.attempt, out);
  Key("category", out);
  out->append(ctx.category);
  Key("content_type", out);
  json::AppendString(ev.Get(ev.artifact_content_type), out);
  Key("contract_version", out);
  json::AppendString(ev.Get(ev.contract_version), out);
  Key("day", out);
  out->append(ctx.day);
  Key("event_id", out);
  json::AppendString(ev.Get(ev.event_id), out);
  Key("event_type", out);
  json::AppendString(ev.Type(), out);
  if (ev.has_job_id) {
    Key("job_id", out);
    json::AppendString(ev.Get(ev.job_id), out);
  }
  Key("name", out);
  json::AppendString(ev.Get(ev.artifact_name), out);
  if (ev.has_parent_run_id) {
    Key("parent_run_id", out);
    json::AppendString(ev.Get(ev.parent_run_id), out);
  }
  Key("policy", out);
  out->append(ctx.policy);
  out->append(",\"record_kind\":\"artifact_event\"");
  Key("run_id", out);
  json::AppendString(ev.Get(ev.run_id), out);
  Key("seq", out);
  AppendInt(ev.seq, out);
  // D2: the real byte count, whatever numeric form the frame used.
  Key("size_bytes", out);
  AppendInt(ev.has_artifact_size_bytes ? ev.artifact_size_bytes : uint64_t{0}, out);
  Key("source", out);
  out->append(ctx.source);
  Key("ts", out);
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
  Key("category", out);
  out->append(ctx.category);
  Key("contract_version", out);
  json::AppendString(ev.Get(ev.contract_version), out);
  Key("day", out);
  out->append(ctx.day);
  Key("event_id", out);
  json::AppendString(ev.Get(ev.event_id), out);
  Key("event_type", out);
  json::AppendString(ev.Type(), out);
  if (ev.has_job_id) {
    Key("job_id", out);
    json::AppendString(ev.Get(ev.job_id), out);
  }
  if (ev.has_parent_run_id) {
    Key("parent_run_id", out);
    json::AppendString(ev.Get(ev.parent_run_id), out);
  }
  Key("payload", out);
  Status st = json::AppendMsgpackAsJson(ev.Get(ev.payload), "payload", out);
  if (!st.ok()) {
    std::string m = "event seq ";
    AppendInt(ev.seq, &m);
    m.append(" (").append(ev.Type()).append(") cannot be stored: ").append(st.message());
    return Status(StatusCode::kInvalidArgument, std::move(m));
  }
  Key("policy", out);
  out->append(ctx.policy);
  out->append(",\"record_kind\":\"event\"");
  Key("run_id", out);
  json::AppendString(ev.Get(ev.run_id), out);
  Key("seq", out);
  AppendInt(ev.seq, out);
  Key("source", out);
  out->append(ctx.source);
  Key("ts", out);
  json::AppendString(ev.Get(ev.ts), out);
  Key("type", out);
  json::AppendString(ev.Type(), out);
  out->append("}\n");
  return Status::Ok();
}

void AppendChunkPieceLine(const RecordContext& ctx, std::string_view artifact_id, int64_t seq,
                          bool is_last, uint64_t offset, std::string_view data, std::string* out) {
  out->append("{\"artifact_id\":");
  json::AppendString(artifact_id, out);
  Key("category", out);
  out->append(ctx.category);
  Key("data", out);
  out->push_back('"');
  json::AppendBase64(data, out);
  out->push_back('"');
  Key("day", out);
  out->append(ctx.day);
  out->append(",\"event_type\":\"artifact\"");
  Key("is_last", out);
  out->append(is_last ? "true" : "false");
  Key("length", out);
  AppendInt(data.size(), out);
  Key("offset", out);
  AppendInt(offset, out);
  out->append(",\"record_kind\":\"artifact_chunk\"");
  Key("run_id", out);
  out->append(ctx.run_id);
  Key("seq", out);
  AppendInt(seq, out);
  Key("source", out);
  out->append(ctx.source);
  out->append("}\n");
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
