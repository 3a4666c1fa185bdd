#include "cli/run_flags.h"

#include <filesystem>
#include <optional>

#include "quarry/json/parse.h"
#include "quarry/run/run_spec.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Paths are resolved where the client runs: the worker must see the same file system paths.
std::string Absolute(const std::string& p) {
  if (p.empty()) return p;
  std::error_code ec;
  return fs::absolute(p, ec).lexically_normal().string();
}

}  // namespace

void AddRunFlags(CLI::App* cmd, RunFlags* flags) {
  RunFlags& f = *flags;
  f.cmd = cmd;
  cmd->add_option("--script", f.script, "Script path (made absolute here; the worker must see it)");
  cmd->add_option("--job-id", f.job_id, "Job id (default: the workflow id)");
  cmd->add_option("--job", f.job, "Job payload as a JSON object");
  cmd->add_option("--job-json", f.job_json, "File holding the job payload (read here)");
  cmd->add_option("--source", f.source, "Source partition value (required)");
  cmd->add_option("--category", f.category, "Category partition value");
  cmd->add_option("--policy", f.policy, "Ingestion policy: strict, buffered, streaming");
  cmd->add_option("--flush-mode", f.flush_mode, "buffered: at_least_once, chunks_first, two_phase");
  cmd->add_option("--buffer-events", f.buffer_events, "buffered: event limit");
  cmd->add_option("--buffer-bytes", f.buffer_bytes, "buffered: byte limit");
  cmd->add_option("--flush-count", f.flush_count, "streaming: flush every N events");
  cmd->add_option("--flush-interval", f.flush_interval, "streaming: flush interval");
  cmd->add_option("--storage-backend", f.storage_backend, "Storage backend: fs or s3");
  cmd->add_option("--storage-path", f.storage_path,
                  "fs: an existing directory (made absolute here); s3: bucket[/prefix]");
  cmd->add_option("--storage-region", f.storage_region,
                  "s3: region (empty: the AWS default chain)");
  cmd->add_option("--storage-endpoint", f.storage_endpoint, "s3: S3-compatible endpoint URL");
  cmd->add_flag("--storage-s3-path-style", f.storage_s3_path_style, "s3: path-style addressing");
  cmd->add_option("--storage-sync", f.storage_sync,
                  "fs: always (each snapshot durable before it commits) or never");
  cmd->add_option("--storage-dataset", f.storage_dataset, "Dataset id");
  cmd->add_option("--resolve-from", f.resolve_from, "Fallback directory for the script's imports");
  cmd->add_option("--timeout", f.timeout, "Whole-run time limit of each attempt (e.g. 5m)");
  cmd->add_option("--max-attempts", f.max_attempts,
                  "Attempts, each with its own run id (default 3)");
  cmd->add_option("--initial-interval", f.initial_interval,
                  "Backoff before attempt 2 (default 1s)");
  cmd->add_option("--backoff-coefficient", f.backoff_coefficient,
                  "Backoff growth per attempt (default 2)");
  cmd->add_option("--maximum-interval", f.maximum_interval, "Backoff cap (default 5m)");
  cmd->add_option("--start-to-close-timeout", f.start_to_close_timeout, "Per attempt (default 4h)");
  cmd->add_option("--heartbeat-timeout", f.heartbeat_timeout, "Per attempt (default 60s)");
  cmd->add_option("--schedule-to-start-timeout", f.schedule_to_start_timeout,
                  "Per attempt (default 5m)");
  cmd->add_option("--proxy-pool", f.proxy_pool,
                  "Each attempt selects its proxy from this pool of the worker (its --config)");
  cmd->add_option("--proxy-strategy", f.proxy_strategy,
                  "Override the pool's strategy: round_robin, random or sticky");
  cmd->add_option("--proxy-sticky-key", f.proxy_sticky_key, "Sticky selection key");
  cmd->add_option("--proxy-domain", f.proxy_domain, "Domain for sticky scope domain");
  cmd->add_option("--proxy-origin", f.proxy_origin, "Origin for sticky scope origin");
  cmd->add_option("--notify-url", f.notify_url,
                  "POST the final outcome here (NotifyWebhook activity)");
  cmd->add_option("--notify-header", f.notify_headers,
                  "\"Name: value\" header for --notify-url (repeatable)");
}

StatusOr<json> BuildWorkflowInput(const RunFlags& f) {
  if (f.script.empty()) return InvalidArgumentError("--script is required");
  if (f.source.empty()) return InvalidArgumentError("--source is required");
  json in = json::object();
  in["script"] = Absolute(f.script);
  in["source"] = f.source;
  if (f.Set("--category")) in["category"] = f.category;
  if (f.Set("--job-id")) in["job_id"] = f.job_id;
  if (f.Set("--job") || f.Set("--job-json")) {
    std::optional<std::string> job, file;
    if (f.Set("--job")) job = f.job;
    if (f.Set("--job-json")) file = f.job_json;
    QUARRY_ASSIGN_OR_RETURN(std::string text, run::LoadJobPayload(job, file));
    // LoadJobPayload checks the text as `quarry run` does; parsing it again must not throw.
    QUARRY_ASSIGN_OR_RETURN(
        in["job"], ::quarry::json::ParseJson(text, file ? "--job-json " + *file : "--job"));
  }
  if (f.Set("--policy")) in["policy"] = f.policy;
  if (f.Set("--flush-mode")) in["flush_mode"] = f.flush_mode;
  if (f.Set("--buffer-events")) in["buffer_events"] = f.buffer_events;
  if (f.Set("--buffer-bytes")) in["buffer_bytes"] = f.buffer_bytes;
  if (f.Set("--flush-count")) in["flush_count"] = f.flush_count;
  if (f.Set("--flush-interval")) in["flush_interval"] = f.flush_interval;
  if (f.Set("--timeout")) in["timeout"] = f.timeout;
  if (f.Set("--resolve-from")) in["resolve_from"] = Absolute(f.resolve_from);
  json storage = json::object();
  if (f.Set("--storage-backend")) storage["backend"] = f.storage_backend;
  if (f.Set("--storage-path")) {
    // An s3 path is bucket[/prefix], not a file name.
    storage["path"] = f.storage_backend == "s3" ? f.storage_path : Absolute(f.storage_path);
  }
  if (f.Set("--storage-region")) storage["region"] = f.storage_region;
  if (f.Set("--storage-endpoint")) storage["endpoint"] = f.storage_endpoint;
  if (f.Set("--storage-s3-path-style")) storage["s3_path_style"] = f.storage_s3_path_style;
  if (f.Set("--storage-sync")) storage["sync"] = f.storage_sync;
  if (f.Set("--storage-dataset")) storage["dataset"] = f.storage_dataset;
  if (!storage.empty()) in["storage"] = storage;
  if (f.Set("--proxy-pool")) {
    json px{{"pool", f.proxy_pool}};
    if (f.Set("--proxy-strategy")) px["strategy"] = f.proxy_strategy;
    if (f.Set("--proxy-sticky-key")) px["sticky_key"] = f.proxy_sticky_key;
    if (f.Set("--proxy-domain")) px["domain"] = f.proxy_domain;
    if (f.Set("--proxy-origin")) px["origin"] = f.proxy_origin;
    in["proxy"] = px;
  } else if (f.Set("--proxy-strategy") || f.Set("--proxy-sticky-key") || f.Set("--proxy-domain") ||
             f.Set("--proxy-origin")) {
    return InvalidArgumentError(
        "--proxy-strategy, --proxy-sticky-key, --proxy-domain and "
        "--proxy-origin need --proxy-pool");
  }
  json retry = json::object();
  if (f.Set("--max-attempts")) retry["max_attempts"] = f.max_attempts;
  if (f.Set("--initial-interval")) retry["initial_interval"] = f.initial_interval;
  if (f.Set("--backoff-coefficient")) retry["backoff_coefficient"] = f.backoff_coefficient;
  if (f.Set("--maximum-interval")) retry["maximum_interval"] = f.maximum_interval;
  if (!retry.empty()) in["retry"] = retry;
  json activity = json::object();
  if (f.Set("--start-to-close-timeout"))
    activity["start_to_close_timeout"] = f.start_to_close_timeout;
  if (f.Set("--heartbeat-timeout")) activity["heartbeat_timeout"] = f.heartbeat_timeout;
  if (f.Set("--schedule-to-start-timeout")) {
    activity["schedule_to_start_timeout"] = f.schedule_to_start_timeout;
  }
  if (!activity.empty()) in["activity"] = activity;
  if (f.Set("--notify-url")) {
    json headers = json::object();
    for (const auto& h : f.notify_headers) {
      auto colon = h.find(':');
      if (colon == std::string::npos) {
        return InvalidArgumentError("--notify-header \"" + h + "\" must be \"Name: value\"");
      }
      std::string value = h.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      headers[h.substr(0, colon)] = value;
    }
    in["notify"] = {{"url", f.notify_url}, {"headers", headers}};
  }
  QUARRY_RETURN_IF_ERROR(ParseExtractionWorkflowParams(in).status());
  return in;
}

}  // namespace quarry::temporal::cli
