// The JSON shapes of the interop payloads (../shared/spec/temporal.md §2): ExtractionParams (input
// of RunQuarryExtraction), ExtractionWorkflowParams (input of QuarryExtractionWorkflow) and the
// fields of ExtractionResult. Field names are snake_case and mirror the `quarry run` flags; an
// unknown field is an error so typos are not silently ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "quarry/status.h"

namespace quarry::temporal {

inline constexpr char kTaskQueueDefault[] = "quarry";
inline constexpr char kExtractionActivity[] = "RunQuarryExtraction";
inline constexpr char kNotifyActivity[] = "NotifyWebhook";
inline constexpr char kExtractionWorkflow[] = "QuarryExtractionWorkflow";

// ApplicationFailure types (interop).
inline constexpr char kConfigError[] = "CONFIG_ERROR";
inline constexpr char kScriptError[] = "SCRIPT_ERROR";
inline constexpr char kExecutorCrash[] = "EXECUTOR_CRASH";
inline constexpr char kPolicyFailure[] = "POLICY_FAILURE";
inline constexpr char kVersionMismatch[] = "VERSION_MISMATCH";

struct StorageParams {
  std::string backend;
  std::string path;
  std::string dataset = "quarry";
  // The s3 backend's settings (docs/storage-s3.md); with fs they are ignored with a warning.
  std::string region;
  std::string endpoint;
  bool s3_path_style = false;
  // "always" or "never": whether the fs store makes each snapshot durable before it commits
  // (docs/storage-sync.md); the s3 backend ignores it.
  std::string sync = "always";
};

// Either an endpoint (protocol, host, port, credentials) or a selection from a pool the worker
// defines (pool, strategy, sticky_key, domain, origin): docs/temporal.md, "Proxies".
struct ProxyParams {
  std::string protocol;
  std::string host;
  int64_t port = 0;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string pool, strategy, sticky_key, domain, origin;
};

// What a crawl asks of RunQuarryExtraction (docs/temporal.md, "QuarryCrawlWorkflow"): the accepted
// `enqueue` events of the run come back in the result, at most max_tasks of them and at most
// max_bytes of their JSON; the rest are only counted. max_tasks 0 only counts.
inline constexpr int64_t kMaxEnqueuedPerResult = 1000;
inline constexpr int64_t kMaxEnqueuedBytesPerResult = 256 * 1024;
struct CollectEnqueuedParams {
  int64_t max_tasks = kMaxEnqueuedPerResult;
  int64_t max_bytes = kMaxEnqueuedBytesPerResult;
};

// The fan-out link of a crawl's child run (Decision D5), stored in Lode as the run descriptor's
// enqueued_by_run_id, enqueued_by_event_id and fanout_depth.
struct FanoutParams {
  std::string enqueued_by_run_id;
  std::string enqueued_by_event_id;
  int64_t fanout_depth = 0;
};

// Parsed and type-checked; the run-level validation (required fields, lineage, storage path...)
// is the one `quarry run` applies, done by the activity through run::BuildRunConfig.
// It mirrors run::RunSpec on purpose: this is the wire shape (nested storage and proxy, the job as
// JSON), and workflow code, which validates run templates too, links none of the runtime. The
// activity maps it with ToRunSpec (worker/extraction_activity.h).
struct ExtractionParams {
  std::string script;
  std::string run_id;
  int64_t attempt = 1;
  std::string job_id;
  std::string parent_run_id;
  std::optional<nlohmann::json> job;    // any JSON value here; must be an object for the run
  std::optional<std::string> job_json;  // path of a file holding the job
  std::string source;
  std::string category = "default";
  std::string policy = "strict";
  std::string flush_mode = "at_least_once";
  int64_t buffer_events = 0;
  int64_t buffer_bytes = 0;
  int64_t flush_count = 0;
  std::string flush_interval = "0";
  StorageParams storage;
  std::optional<ProxyParams> proxy;
  // A checkpoint to pick up from (set by the workflow on a retry; a caller may set it on the
  // first attempt too): handed to the script as ctx.resume.
  struct Resume {
    std::string checkpoint_id, run_id;
  };
  std::optional<Resume> resume;
  std::string timeout = "0";
  std::string resolve_from;
  // Set by QuarryCrawlWorkflow (any workflow may): activity input only, not run templates.
  std::optional<CollectEnqueuedParams> collect_enqueued;
  std::optional<FanoutParams> fanout;
};

StatusOr<ExtractionParams> ParseExtractionParams(const nlohmann::json& input);

using Millis = std::chrono::milliseconds;

struct WorkflowRetry {
  int64_t max_attempts = 3;
  Millis initial_interval{1'000};
  double backoff_coefficient = 2.0;
  Millis maximum_interval{300'000};
};

struct ActivityTimeouts {
  Millis start_to_close{4 * 3600 * 1000};
  Millis heartbeat{60'000};
  Millis schedule_to_start{300'000};
};

struct NotifyParams {
  std::string url;
  nlohmann::json headers = nlohmann::json::object();
};

struct ExtractionWorkflowParams {
  // The run template: ExtractionParams without run_id/attempt/parent_run_id, as given.
  nlohmann::json run_template = nlohmann::json::object();
  WorkflowRetry retry;
  ActivityTimeouts activity;
  std::optional<NotifyParams> notify;
};

StatusOr<ExtractionWorkflowParams> ParseExtractionWorkflowParams(const nlohmann::json& input);

// A run template as batches take it: ExtractionParams fields without run_id/attempt/parent_run_id.
Status ValidateRunTemplate(const nlohmann::json& run_template);

// The backoff before attempt `next_attempt` (>= 2): initial × coefficient^(next_attempt - 2),
// capped at maximum_interval.
Millis BackoffBefore(const WorkflowRetry& retry, int64_t next_attempt);

}  // namespace quarry::temporal
