// A run as a user describes it, before validation: the flags of `quarry run`, or the JSON input of
// the Temporal activity RunQuarryExtraction. Both entry points build their RunConfig here, so they
// accept and reject the same runs with the same messages, checked in the order of
// cli-and-integrations.md §4.3 (the first failing check decides the message).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "quarry/fanout/settings.h"
#include "quarry/run/run_config.h"
#include "quarry/status.h"

namespace quarry::run {

// One event sink as given (a flag or a config entry), before defaults are applied.
struct SinkSpec {
  std::string type;      // lode | redis
  std::string delivery;  // "" = mandatory
  std::string url, stream_key;
  std::optional<int64_t> max_len;  // nullopt/0 = 100000; negative disables trimming
  std::string ttl;                 // duration; ""/0 = 24h; "-1" or negative disables expiry
  std::string timeout;             // duration; "" or <= 0 = 2s
  std::optional<int64_t> retries;  // nullopt = 2
};

// Per-sink settings given outside the list (the --event-sink-* flags). Each overrides that field
// of the listed sink of its type; one set while its sink is not listed is an error (D11.24).
struct SinkOverrides {
  std::optional<std::string> redis_url, redis_stream_key, redis_ttl, redis_timeout, redis_delivery;
  std::optional<int64_t> redis_max_len, redis_retries;
  std::optional<std::string> lode_delivery;  // also applies to the implicit Lode sink
};

// The notification adapter as given; type "" = none.
struct AdapterSpec {
  std::string type, url, channel;
  std::vector<std::string> headers;  // "key=value", applied in order (later wins per name)
  std::string timeout;               // duration; "" or <= 0 = 10s
  std::optional<int64_t> retries;    // nullopt = 3
};

struct RunSpec {
  std::string script;
  std::string run_id;
  int64_t attempt = 1;
  std::string job_id;                   // empty: none
  std::string parent_run_id;            // empty: none
  std::optional<std::string> job;       // --job: JSON text
  std::optional<std::string> job_file;  // --job-json: path of a file holding the JSON
  std::string source;
  std::string category = "default";
  std::string policy = "strict";
  std::string flush_mode = "at_least_once";
  int64_t buffer_events = 0;
  int64_t buffer_bytes = 0;
  int64_t flush_count = 0;
  std::string flush_interval = "0";
  std::string storage_backend;
  std::string storage_path;
  std::string storage_dataset = "quarry";
  std::string storage_region;    // s3 only; empty: the default chain
  std::string storage_endpoint;  // s3 only; empty: AWS
  bool storage_s3_path_style = false;
  std::string storage_sync = "always";  // fs: always | never (docs/lode-layout.md, "Durability")
  std::string executor;                 // empty: LocateExecutor's search
  std::string browser_ws_endpoint;
  std::string resolve_from;
  std::string timeout = "0";
  AdapterSpec adapter;
  std::vector<SinkSpec> event_sinks;  // empty: the implicit Lode sink
  SinkOverrides sink_overrides;
  // Checked here (§4.3 step 11) so errors come in the contract's order; the caller runs the crawl.
  fanout::Settings fanout;
};

// §4.3 step 9 (adapter) and step 10 (event sinks), also usable alone. Warnings go to `warn`.
StatusOr<std::optional<adapters::AdapterConfig>> BuildAdapterConfig(
    const AdapterSpec& spec, const std::function<void(const std::string&)>& warn);
StatusOr<std::vector<sinks::SinkConfig>> BuildSinkConfigs(const std::vector<SinkSpec>& list,
                                                          const SinkOverrides& overrides);

// The script must be a readable regular file: "script not found: <path>", "script is not a
// file: <path>", "cannot read script <path>: <reason>". BuildRunConfig checks it too, so a
// Temporal activity given a path that does not exist on its worker fails once as CONFIG_ERROR
// instead of starting an executor that crashes on every attempt.
Status CheckScriptReadable(const std::string& path);

// Validates `spec` and opens its store. Warnings about ignored settings go to `warn` as soon as
// they are known (before later checks may fail). The observer and env are left empty.
StatusOr<RunConfig> BuildRunConfig(const RunSpec& spec,
                                   const std::function<void(const std::string&)>& warn);

// --resolve-from: an existing directory, returned absolute and normalized ("" stays "").
StatusOr<std::string> ResolveFromDirectory(const std::string& dir);

// The job payload: at most one of the inline text and the file; must be a JSON object.
// Returns its compact JSON text, "{}" when neither is given. Errors name the JSON type received.
StatusOr<std::string> LoadJobPayload(const std::optional<std::string>& job,
                                     const std::optional<std::string>& job_file);

// --executor-env NAME (repeatable): names of credential variables that reach the script anyway
// (run/executor_env.h). Each must be a variable name ("AWS_PROFILE", not "AWS_PROFILE=x").
StatusOr<std::vector<std::string>> ParseExecutorEnvNames(const std::vector<std::string>& names);

// Finds the executor (executor-contract.md §14.1): `explicit_path` (must exist when non-empty),
// then the bundle installed next to the running binary, then the development build in the source
// tree, then `quarry-executor` on PATH.
StatusOr<std::string> LocateExecutor(const std::string& explicit_path);

}  // namespace quarry::run
