// Inputs of the batch workflows (../shared/spec/temporal.md §4, docs/temporal.md "Batches").
//
//   BatchExtraction       {defaults?, runs | runs_file, max_parallel?, retry?, activity?, notify?}
//   BatchChunk            the same, plus what LargeBatchExtraction sets for its slice:
//                         first_index, job_id_prefix, runs_file_sha256, runs_offset, runs_count
//   LargeBatchExtraction  the BatchExtraction fields plus chunk_size, max_parallel_chunks
//
// A run is `defaults` with the run's own fields laid over it (top-level keys replace), checked
// like a QuarryExtractionWorkflow template. `runs_file` is a JSONL file the worker can read, one
// run per non-empty line: large batches pass this reference, never thousands of runs inline.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/status.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal {

inline constexpr char kBatchWorkflow[] = "BatchExtraction";
inline constexpr char kLargeBatchWorkflow[] = "LargeBatchExtraction";
inline constexpr char kBatchChunkWorkflow[] = "BatchChunk";
// Reads (a slice of) a runs file on the worker: {runs_file, runs_file_sha256?, runs_offset?,
// runs_count?} -> {line_count, sha256, runs}. runs_count 0 only counts and digests.
inline constexpr char kReadRunsActivity[] = "ReadQuarryBatchRuns";
// Which runs of a chunk that ended without its aggregate succeeded, from Lode
// (worker/chunk_outcomes_activity.h): {storage, chunk_run_id, first_index, count, max_attempts}
// -> {succeeded: [index...]}.
inline constexpr char kChunkOutcomesActivity[] = "ReadQuarryChunkOutcomes";

// One workflow's runs stay far below Temporal's per-history limits (2,000 pending activities,
// 51,200 events) at this size; more runs go through LargeBatchExtraction's chunks.
inline constexpr int64_t kMaxRunsPerWorkflow = 500;
// The aggregate lists at most this many failed runs (it is a workflow result: keep it small).
inline constexpr int64_t kMaxFailedRunsListed = 1000;

enum class BatchKind { kBatch, kChunk, kLarge };

inline constexpr int64_t kLargeBatchContinueAsNewAfter = 10'000;
inline constexpr int64_t kMinLargeBatchContinueAsNewAfter = 20;
inline constexpr int64_t kMaxLargeBatchContinueAsNewAfter = 40'000;

struct BatchParams {
  nlohmann::json defaults = nlohmann::json::object();
  std::optional<nlohmann::json> runs;  // inline array
  std::string runs_file;               // or a JSONL file, absolute path
  std::string runs_file_sha256;        // when set, the file must still have this digest
  int64_t runs_offset = 0;             // first run (counting non-empty lines)
  int64_t runs_count = -1;             // -1: to the end
  int64_t max_parallel = 50;
  int64_t first_index = 0;    // global index of the first run (chunks)
  std::string job_id_prefix;  // job ids default to "<prefix>run-<index>"; "" = "<workflow id>/"
  WorkflowRetry retry;
  ActivityTimeouts activity;  // schedule_to_start defaults to none here (see ParseBatchParams)
  std::optional<NotifyParams> notify;
  int64_t chunk_size = kMaxRunsPerWorkflow;  // LargeBatchExtraction
  int64_t max_parallel_chunks = 4;
  // LargeBatchExtraction: past this many history events it starts no more chunks and, once its
  // running chunks closed, continues as new carrying {next_chunk, total, sha256, aggregate}.
  int64_t continue_as_new_after = kLargeBatchContinueAsNewAfter;
  std::optional<nlohmann::json> carry;  // set by the previous run of the chain
};

StatusOr<BatchParams> ParseBatchParams(const nlohmann::json& input, BatchKind kind);

// `defaults` with `run` laid over it, checked; errors name the run's index.
StatusOr<nlohmann::json> MergeRun(const nlohmann::json& defaults, const nlohmann::json& run,
                                  int64_t index);

// The runs of a JSONL text: every line that is not blank, with its 1-based line number (for
// messages). The worker's reader and the `batch` client count runs the same way through this.
struct RunLine {
  int64_t line_no = 0;
  std::string_view text;
};
std::vector<RunLine> SplitRunLines(std::string_view text);

}  // namespace quarry::temporal
