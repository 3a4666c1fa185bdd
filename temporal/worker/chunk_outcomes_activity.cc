#include "worker/chunk_outcomes_activity.h"

#include "quarry/lode/open_store.h"
#include "quarry/read/model.h"
#include "quarry/read/scan.h"
#include "workflows/batch_params.h"
#include "workflows/run_id.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

// A chunk holds at most kMaxRunsPerWorkflow runs; attempts are bounded by the retry policy.
constexpr int64_t kMaxAttemptsLooked = 100;

ActivityOutcome Failed(std::string message, bool non_retryable) {
  ActivityOutcome o;
  o.kind = ActivityOutcome::Kind::kFailed;
  o.error = {non_retryable ? kConfigError : "LODE_READ_ERROR", std::move(message), non_retryable,
             std::nullopt};
  return o;
}

}  // namespace

ActivityOutcome ReadChunkOutcomes(const std::optional<json>& input) {
  const std::string usage = std::string(kChunkOutcomesActivity) +
                            " needs {storage, chunk_run_id, first_index, count, max_attempts}";
  if (!input || !input->is_object()) return Failed(usage, true);
  const json& in = *input;
  auto integer = [&](const char* key) -> std::optional<int64_t> {
    auto it = in.find(key);
    if (it == in.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<int64_t>();
  };
  auto first = integer("first_index"), count = integer("count"), attempts = integer("max_attempts");
  auto run_id = in.find("chunk_run_id");
  if (!first || !count || !attempts || run_id == in.end() || !run_id->is_string() ||
      run_id->get<std::string>().empty() || *first < 0 || *count < 0 ||
      *count > kMaxRunsPerWorkflow || *attempts < 1 || *attempts > kMaxAttemptsLooked) {
    return Failed(usage, true);
  }
  // The storage object of the batch's defaults, checked as a run's would be.
  auto params = ParseExtractionParams({{"storage", in.value("storage", json::object())}});
  if (!params.ok()) return Failed(params.status().message(), true);
  const StorageParams& st = params->storage;
  if (st.backend.empty() || st.path.empty()) {
    return Failed(std::string(kChunkOutcomesActivity) + ": the batch's defaults name no storage",
                  true);
  }
  auto store = lode::OpenStore({st.backend, st.path, st.region, st.endpoint, st.s3_path_style});
  if (!store.ok()) return Failed("opening the dataset: " + store.status().message(), false);
  auto scan = read::ScanDataset(**store, st.dataset);
  if (!scan.ok()) return Failed("reading the dataset: " + scan.status().message(), false);
  const read::Dataset dataset(std::move(*scan));

  json succeeded = json::array();
  const std::string chunk_run_id = run_id->get<std::string>();
  for (int64_t index = *first; index < *first + *count; ++index) {
    const std::string seed = chunk_run_id + "/run-" + std::to_string(index);
    for (int64_t attempt = 1; attempt <= *attempts; ++attempt) {
      const read::Run* run = dataset.FindRun(AttemptRunId(seed, attempt));
      if (run && run->state == read::RunState::kSucceeded) {
        succeeded.push_back(index);
        break;
      }
    }
  }
  ActivityOutcome o;
  o.result = {{"succeeded", std::move(succeeded)}};
  return o;
}

}  // namespace quarry::temporal
