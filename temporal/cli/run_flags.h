// The flags that describe a run of QuarryExtractionWorkflow (they mirror `quarry run`) and the
// workflow input built from them. Shared by `start` and `schedule create`, so a scheduled run
// takes exactly the input a started one would.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quarry/status.h"

namespace quarry::temporal::cli {

struct RunFlags {
  std::string script, job_id, job, job_json, source, category, policy, flush_mode;
  int64_t buffer_events = 0, buffer_bytes = 0, flush_count = 0;
  std::string flush_interval, storage_backend, storage_path, storage_dataset, resolve_from, timeout;
  std::string storage_region, storage_endpoint;
  bool storage_s3_path_style = false;
  std::string storage_sync;
  int64_t max_attempts = 3;
  std::string initial_interval, maximum_interval;
  double backoff_coefficient = 2.0;
  std::string start_to_close_timeout, heartbeat_timeout, schedule_to_start_timeout;
  std::string notify_url;
  std::vector<std::string> notify_headers;
  // A proxy pool of the worker (input `proxy` {pool, strategy, sticky_key, domain, origin}).
  std::string proxy_pool, proxy_strategy, proxy_sticky_key, proxy_domain, proxy_origin;

  // Only flags given on the command line go into the input, so the workflow's defaults apply to
  // the rest.
  CLI::App* cmd = nullptr;
  bool Set(const char* name) const { return cmd->count(name) > 0; }
};

// Registers the run flags on `cmd`; `*flags` must outlive parsing.
void AddRunFlags(CLI::App* cmd, RunFlags* flags);

// ExtractionWorkflowParams as JSON, with relative paths made absolute against this process's
// working directory (the worker must see the same paths), checked the way the workflow checks
// its input so a typo fails here and not in history.
StatusOr<nlohmann::json> BuildWorkflowInput(const RunFlags& flags);

}  // namespace quarry::temporal::cli
