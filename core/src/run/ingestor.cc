#include "run/ingestor.h"

#include <nlohmann/json.hpp>

#include "quarry/ipc/codec.h"
#include "quarry/json/canonical_json.h"

namespace quarry::run {
namespace {

IngestError Stream(std::string m) { return {IngestErrorKind::kStream, std::move(m)}; }

bool ValidSidecarName(std::string_view name) {
  return !name.empty() && name.find('/') == std::string_view::npos &&
         name.find('\\') == std::string_view::npos && name.find("..") == std::string_view::npos;
}

TerminalInfo ReadTerminal(const Event& ev) {
  TerminalInfo t;
  t.type = std::string(ev.Type());
  std::string json;
  if (json::AppendMsgpackAsJson(ev.Get(ev.payload), "payload", &json).ok()) {
    t.payload_json = std::move(json);
  } else {
    t.payload_json = "{}";  // a non-finite number in a terminal payload; the policy rejects it
  }
  if (t.type == "run_error") {
    auto parsed = nlohmann::json::parse(t.payload_json, nullptr, /*allow_exceptions=*/false);
    auto field = [&](const char* key) -> std::optional<std::string> {
      if (parsed.is_object() && parsed.contains(key) && parsed[key].is_string()) {
        return parsed[key].get<std::string>();
      }
      return std::nullopt;
    };
    t.message = field("message");
    t.error_type = field("error_type");
    t.stack = field("stack");
  }
  return t;
}

}  // namespace

Ingestor::Ingestor(const RunMeta& meta, policy::Policy* policy, lode::RunWriter* files,
                   const log::RunContext* log_ctx, std::function<void(const Event&)> on_event)
    : meta_(meta),
      policy_(policy),
      files_(files),
      log_ctx_(log_ctx),
      on_event_(std::move(on_event)) {}

std::optional<IngestError> Ingestor::OnPayload(FrameBytes payload, std::string* acks) {
  StatusOr<ipc::Frame> frame = ipc::DecodeFrame(std::move(payload));
  if (!frame.ok()) return IngestError{IngestErrorKind::kDecode, frame.status().message()};
  if (auto* ev = std::get_if<Event>(&*frame)) return OnEvent(std::move(*ev));
  if (auto* ch = std::get_if<Chunk>(&*frame)) return OnChunk(std::move(*ch));
  if (auto* fw = std::get_if<FileWrite>(&*frame)) return OnFileWrite(*fw, acks);
  if (auto* rr = std::get_if<RunResultFrame>(&*frame)) {
    if (!run_result_) run_result_ = std::move(*rr);  // the first one wins (§6.4)
  }
  return std::nullopt;
}

std::optional<IngestError> Ingestor::OnEvent(Event ev) {
  std::string_view version = ev.Get(ev.contract_version);
  if (!ipc::ContractVersionAccepted(version)) {
    return IngestError{IngestErrorKind::kVersion, "contract version mismatch: executor sent \"" +
                                                      std::string(version) +
                                                      "\", runtime accepts 0.13.x (" +
                                                      std::string(ipc::kContractVersion) + ")"};
  }
  if (ev.Get(ev.run_id) != meta_.run_id) {
    return Stream("event seq " + std::to_string(ev.seq) + ": run_id \"" +
                  std::string(ev.Get(ev.run_id)) + "\" does not match the run (\"" + meta_.run_id +
                  "\")");
  }
  if (ev.attempt != meta_.attempt) {
    return Stream("event seq " + std::to_string(ev.seq) + ": attempt " +
                  std::to_string(ev.attempt) + " does not match the run (" +
                  std::to_string(meta_.attempt) + ")");
  }
  if (ev.seq != last_seq_ + 1) {
    return Stream("seq violation: got " + std::to_string(ev.seq) + ", expected " +
                  std::to_string(last_seq_ + 1));
  }

  // D11.3: after the accepted terminal an event is consumed (its seq advances the counter) but
  // reaches neither observers, the policy nor storage.
  if (terminal_) {
    last_seq_ = ev.seq;
    ++post_terminal_;
    return std::nullopt;
  }
  if (ev.Type() == "artifact") {
    std::optional<uint64_t> size;
    if (ev.has_artifact_size_bytes) size = ev.artifact_size_bytes;
    Status s = artifacts_.Commit(ev.has_artifact_id ? ev.Get(ev.artifact_id) : "", size);
    if (!s.ok()) return Stream(s.message());  // rejected: not counted in event_count
  }
  last_seq_ = ev.seq;
  if (IsTerminalEventType(ev.Type())) terminal_ = ReadTerminal(ev);
  if (on_event_) on_event_(ev);
  Status s = policy_->IngestEvent(std::move(ev));
  if (!s.ok()) return IngestError{IngestErrorKind::kPolicy, s.message()};
  return std::nullopt;
}

std::optional<IngestError> Ingestor::OnChunk(Chunk ch) {
  StatusOr<uint64_t> offset =
      artifacts_.AddChunk(ch.ArtifactId(), ch.seq, ch.is_last, ch.data.size);
  if (!offset.ok()) return Stream(offset.status().message());
  if (terminal_) {
    ++post_terminal_;
    return std::nullopt;
  }
  ch.offset = *offset;
  Status s = policy_->IngestChunk(std::move(ch));
  if (!s.ok()) return IngestError{IngestErrorKind::kPolicy, s.message()};
  return std::nullopt;
}

std::optional<IngestError> Ingestor::OnFileWrite(const FileWrite& fw, std::string* acks) {
  auto ack = [&](bool ok, std::string_view error) {
    if (fw.write_id != 0) acks->append(ipc::EncodeFileWriteAck(fw.write_id, ok, error));
  };
  if (terminal_) {
    ack(false, "run already terminated");
    return std::nullopt;
  }
  std::string_view name = fw.Get(fw.filename);
  if (!ValidSidecarName(name)) {
    return Stream("file_write " + std::to_string(fw.write_id) + ": invalid filename \"" +
                  json::Printable(name) + "\" (must be non-empty without '/', '\\' or '..')");
  }
  if (fw.data.size > ipc::kMaxChunkSize) {
    return Stream("file_write \"" + json::Printable(name) + "\": " + std::to_string(fw.data.size) +
                  " bytes exceed the 8 MiB limit");
  }
  if (files_ == nullptr) {
    return Stream("file_write \"" + json::Printable(name) +
                  "\": no storage configured for sidecar files");
  }
  StatusOr<std::string> path = files_->PutSidecar(name, fw.Get(fw.content_type), fw.Get(fw.data));
  if (!path.ok()) {
    ++sidecar_failures_;
    // Not nlohmann's dump(): it throws on a filename that is not UTF-8.
    json::ObjectBuilder fields;
    fields.AddString("filename", json::Printable(name)).AddString("error", path.status().message());
    log::Write(log::Level::kWarn, "sidecar file write failed", log_ctx_, fields.Build());
    ack(false, path.status().message());
    return std::nullopt;
  }
  ack(true, "");
  return std::nullopt;
}

std::optional<IngestError> Ingestor::OnReadError(const Status& error) {
  if (terminal_) return std::nullopt;
  return Stream(error.message());
}

void Ingestor::Finish() {
  if (post_terminal_ == 0) return;
  nlohmann::json fields = {{"frames", post_terminal_}};
  log::Write(log::Level::kWarn,
             std::to_string(post_terminal_) +
                 " frame(s) arrived after the terminal event and were not persisted",
             log_ctx_, fields.dump());
}

}  // namespace quarry::run
