// RunQuarryExtraction (../shared/spec/temporal.md §3): ExtractionParams -> the run orchestrator,
// in process -> ExtractionResult, with the outcome mapped to Temporal's error semantics:
//
//   success           completed, result = ExtractionResult
//   script_error      failed  SCRIPT_ERROR      retryable
//   executor_crash    failed  EXECUTOR_CRASH    retryable
//   policy_failure    failed  POLICY_FAILURE    non-retryable
//   version_mismatch  failed  VERSION_MISMATCH  non-retryable
//   invalid params    failed  CONFIG_ERROR      non-retryable
//
// Failure details carry the ExtractionResult, so workflows in any SDK can read run_id and counts.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/failure.h"
#include "quarry/proxy/pool_client.h"
#include "quarry/run/orchestrator.h"
#include "quarry/run/run_spec.h"
#include "worker/browser_pool.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal {

// What the worker, not the workflow, decides about every run: the executor, the browser to
// connect to, extra environment for the executor.
struct WorkerRunSettings {
  std::string executor;
  std::string browser_ws_endpoint;
  // The reusable browser server shared by the worker's runs when no endpoint is given (§10).
  const BrowserPool* browser_pool = nullptr;
  std::vector<std::pair<std::string, std::string>> env;
  // Proxy pools of the worker's --config / --proxy-config, and this host's selection state: a
  // run whose input names a pool makes its own committed selection (D4).
  std::vector<proxy::Pool> proxy_pools;
  proxy::HealthRules proxy_rules;
  std::shared_ptr<proxy::StateStore> proxy_state;
};

// Heartbeat details, updated from the run's ingestion thread and read by the heartbeat thread.
class RunProgress {
 public:
  void SetRunId(std::string run_id);
  void OnEvent(const Event& event);
  nlohmann::json Details() const;  // {run_id, event_count, last_checkpoint_id}

 private:
  mutable std::mutex mu_;
  std::string run_id_;
  int64_t event_count_ = 0;
  std::optional<std::string> last_checkpoint_id_;
};

struct ActivityOutcome {
  enum class Kind { kCompleted, kFailed };
  Kind kind = Kind::kCompleted;
  nlohmann::json result;   // kCompleted: ExtractionResult
  ApplicationError error;  // kFailed; details = ExtractionResult
};

// ExtractionParams + worker settings -> the spec `quarry run` would build from the same flags.
run::RunSpec ToRunSpec(const ExtractionParams& params, const WorkerRunSettings& settings);

// The ExtractionResult of a finished run. `storage_path` is the dataset directory.
nlohmann::json ExtractionResultJson(const run::RunResult& result, const std::string& storage_path);

// The table above.
ActivityOutcome MapRunResult(const run::RunResult& result, const std::string& storage_path);

// Runs one extraction to its end. `cancel` stops it through the orchestrator's cancel path (the
// executor's process tree is killed, accepted events are flushed); the caller decides what to
// tell Temporal about a cancelled run.
ActivityOutcome RunExtraction(const std::optional<nlohmann::json>& input,
                              const WorkerRunSettings& settings, run::CancelToken* cancel,
                              RunProgress* progress);

}  // namespace quarry::temporal
