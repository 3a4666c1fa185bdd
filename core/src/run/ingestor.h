// The runtime's side of one executor stream (executor-contract.md §8.2, §9–§12, §16.2): envelope
// checks, seq contiguity, terminal rules (D11.3), artifact bookkeeping, sidecar writes with acks,
// and hand-off to the policy. One frame is processed completely before the next is read, which is
// what turns a slow store into backpressure on the script. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "quarry/event.h"
#include "quarry/lode/run_writer.h"
#include "quarry/log.h"
#include "quarry/policy/policy.h"
#include "quarry/run/run_config.h"
#include "run/artifact_accumulator.h"

namespace quarry::run {

// How a fatal ingestion error is classified for the outcome and the counters.
enum class IngestErrorKind {
  kStream,   // executor_crash; executor_crash_total +1
  kDecode,   // executor_crash; executor_crash_total +1 and ipc_decode_errors_total +1
  kVersion,  // version_mismatch; no crash counter
  kPolicy,   // policy_failure
};

struct IngestError {
  IngestErrorKind kind;
  std::string message;
};

struct TerminalInfo {
  std::string type;          // run_complete | run_error
  std::string payload_json;  // canonical JSON of the whole payload ("{}" when empty)
  // run_error payload fields, string values only (fallbacks for the outcome, §17 rule 7).
  std::optional<std::string> message;
  std::optional<std::string> error_type;
  std::optional<std::string> stack;
};

class Ingestor {
 public:
  // `files` may be null: then any file_write is fatal ("no storage configured").
  Ingestor(const RunMeta& meta, policy::Policy* policy, lode::RunWriter* files,
           const log::RunContext* log_ctx, std::function<void(const Event&)> on_event);

  // Processes one frame payload; ack frames to send back are appended to `acks`.
  std::optional<IngestError> OnPayload(FrameBytes payload, std::string* acks);
  // The frame reader failed (truncated frame, oversized prefix). After an accepted terminal this is
  // a normal end of stream (returns nullopt).
  std::optional<IngestError> OnReadError(const Status& error);
  // Logs the D11.3 warning once, if frames arrived after the terminal.
  void Finish();

  const std::optional<TerminalInfo>& terminal() const { return terminal_; }
  const std::optional<RunResultFrame>& run_result() const { return run_result_; }
  int64_t last_seq() const { return last_seq_; }
  uint64_t post_terminal_frames() const { return post_terminal_; }
  uint64_t sidecar_failures() const { return sidecar_failures_; }
  ArtifactStats artifact_stats() const { return artifacts_.Stats(); }

 private:
  std::optional<IngestError> OnEvent(Event event);
  std::optional<IngestError> OnChunk(Chunk chunk);
  std::optional<IngestError> OnFileWrite(const FileWrite& fw, std::string* acks);

  const RunMeta& meta_;
  policy::Policy* policy_;
  lode::RunWriter* files_;
  const log::RunContext* log_ctx_;
  std::function<void(const Event&)> on_event_;

  ArtifactAccumulator artifacts_;
  std::optional<TerminalInfo> terminal_;
  std::optional<RunResultFrame> run_result_;
  int64_t last_seq_ = 0;
  uint64_t post_terminal_ = 0;
  uint64_t sidecar_failures_ = 0;
};

}  // namespace quarry::run
