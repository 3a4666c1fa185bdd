#include "workflows/batch_params.h"

#include "workflows/json_fields.h"

namespace quarry::temporal {

using nlohmann::json;

StatusOr<BatchParams> ParseBatchParams(const json& input, BatchKind kind) {
  if (!input.is_object()) return InvalidArgumentError("batch input must be a JSON object");
  BatchParams p;
  // max_parallel runs are queued at once, usually more than the workers run at a time: waiting in
  // the queue is not a failure, so batches set no ScheduleToStart timeout unless asked to.
  p.activity.schedule_to_start = Millis(0);
  Fields f(input, "");
  Status st;
  if (const json* d = f.Object("defaults", &st)) p.defaults = *d;
  QUARRY_RETURN_IF_ERROR(st);
  if (const json* runs = f.Raw("runs")) {
    if (!runs->is_array()) return InvalidArgumentError("\"runs\" must be an array of runs");
    p.runs = *runs;
  }
  QUARRY_RETURN_IF_ERROR(f.String("runs_file", &p.runs_file));
  QUARRY_RETURN_IF_ERROR(f.Int("max_parallel", &p.max_parallel));
  QUARRY_RETURN_IF_ERROR(ParseWorkflowKnobs(f, &p.retry, &p.activity, &p.notify));
  if (kind == BatchKind::kChunk) {
    QUARRY_RETURN_IF_ERROR(f.Int("first_index", &p.first_index));
    QUARRY_RETURN_IF_ERROR(f.String("job_id_prefix", &p.job_id_prefix));
    QUARRY_RETURN_IF_ERROR(f.String("runs_file_sha256", &p.runs_file_sha256));
    QUARRY_RETURN_IF_ERROR(f.Int("runs_offset", &p.runs_offset));
    QUARRY_RETURN_IF_ERROR(f.Int("runs_count", &p.runs_count));
  }
  if (kind == BatchKind::kLarge) {
    QUARRY_RETURN_IF_ERROR(f.Int("chunk_size", &p.chunk_size));
    QUARRY_RETURN_IF_ERROR(f.Int("max_parallel_chunks", &p.max_parallel_chunks));
    QUARRY_RETURN_IF_ERROR(f.Int("continue_as_new_after", &p.continue_as_new_after));
    if (const json* carry = f.Object("carry", &st)) p.carry = *carry;
    QUARRY_RETURN_IF_ERROR(st);
  }
  QUARRY_RETURN_IF_ERROR(f.Finish());

  if (p.runs.has_value() == !p.runs_file.empty()) {
    return InvalidArgumentError("give exactly one of \"runs\" (inline) and \"runs_file\"");
  }
  if (!p.runs_file.empty() && p.runs_file[0] != '/') {
    return InvalidArgumentError("\"runs_file\" must be an absolute path the worker can read");
  }
  if (p.runs && p.runs->empty()) return InvalidArgumentError("\"runs\" is empty");
  if (kind != BatchKind::kLarge && p.runs &&
      static_cast<int64_t>(p.runs->size()) > kMaxRunsPerWorkflow) {
    return InvalidArgumentError("a batch of " + std::to_string(p.runs->size()) +
                                " runs is over the " + std::to_string(kMaxRunsPerWorkflow) +
                                " a workflow takes: use LargeBatchExtraction");
  }
  if (p.max_parallel < 1 || p.max_parallel > kMaxRunsPerWorkflow) {
    return InvalidArgumentError("\"max_parallel\" must be in 1.." +
                                std::to_string(kMaxRunsPerWorkflow));
  }
  if (p.chunk_size < 1 || p.chunk_size > kMaxRunsPerWorkflow) {
    return InvalidArgumentError("\"chunk_size\" must be in 1.." +
                                std::to_string(kMaxRunsPerWorkflow));
  }
  if (p.max_parallel_chunks < 1 || p.max_parallel_chunks > 100) {
    return InvalidArgumentError("\"max_parallel_chunks\" must be in 1..100");
  }
  if (p.continue_as_new_after < kMinLargeBatchContinueAsNewAfter ||
      p.continue_as_new_after > kMaxLargeBatchContinueAsNewAfter) {
    return InvalidArgumentError("\"continue_as_new_after\" must be in " +
                                std::to_string(kMinLargeBatchContinueAsNewAfter) + ".." +
                                std::to_string(kMaxLargeBatchContinueAsNewAfter));
  }
  if (p.first_index < 0 || p.runs_offset < 0 || p.runs_count < -1) {
    return InvalidArgumentError(
        "\"first_index\", \"runs_offset\" and \"runs_count\" must not be "
        "negative");
  }
  Status d = ValidateRunTemplate(p.defaults);
  if (!d.ok()) return InvalidArgumentError("\"defaults\": " + d.message());
  return p;
}

StatusOr<json> MergeRun(const json& defaults, const json& run, int64_t index) {
  if (!run.is_object()) {
    return InvalidArgumentError("run " + std::to_string(index) + " is not a JSON object");
  }
  json merged = defaults;
  for (auto it = run.begin(); it != run.end(); ++it) merged[it.key()] = it.value();
  Status st = ValidateRunTemplate(merged);
  if (!st.ok()) return InvalidArgumentError("run " + std::to_string(index) + ": " + st.message());
  return merged;
}

std::vector<RunLine> SplitRunLines(std::string_view text) {
  std::vector<RunLine> out;
  int64_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    const size_t last = line.find_last_not_of(" \t\r");
    out.push_back({line_no, line.substr(first, last - first + 1)});
  }
  return out;
}

}  // namespace quarry::temporal
