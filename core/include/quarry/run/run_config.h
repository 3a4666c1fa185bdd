// Everything one run needs, as plain data: built by the CLI from flags and config, or by the
// Temporal activity from its input (O01: the runtime is usable as a library).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "quarry/adapters/adapters.h"
#include "quarry/duration.h"
#include "quarry/lode/run_writer.h"
#include "quarry/lode/store.h"
#include "quarry/policy/policy.h"
#include "quarry/proxy/pool_client.h"
#include "quarry/sinks/event_sinks.h"
#include "quarry/status.h"

namespace quarry::run {

// Lineage of one attempt (executor-contract.md §9.3).
struct RunMeta {
  std::string run_id;
  int64_t attempt = 1;
  std::optional<std::string> job_id;
  std::optional<std::string> parent_run_id;
};

// attempt == 1 has no parent; attempt > 1 must have one. Errors name the rule.
Status ValidateRunMeta(const RunMeta& meta);

struct RunConfig;
// The run's one committed selection from c->proxy_pool (D4) into c->proxy and
// c->proxy_selection; nothing without a pool. Errors: "proxy selection failed: ...".
Status SelectProxy(RunConfig* c);

using ProxyEndpoint = proxy::Endpoint;

// Where a retried attempt may pick up (docs/temporal.md, "Resuming from a checkpoint"): the last
// checkpoint an earlier run of the same work emitted, handed to the script as `ctx.resume`.
struct ResumePoint {
  std::string checkpoint_id;
  std::string run_id;  // the run that emitted it
};

// Progress callbacks, called on the run's ingestion thread. All optional.
struct RunObserver {
  // After each accepted event (not after post-terminal ones).
  std::function<void(const Event&)> on_event;
  // After each executor stderr line is retained (without the LF).
  std::function<void(std::string_view)> on_stderr_line;
};

struct RunConfig {
  std::string executor_path;    // resolved, existing file
  std::string script_path;      // passed to the executor as given
  std::string job_json = "{}";  // the job payload as JSON text
  RunMeta meta;

  std::string source;
  std::string category = "default";

  std::shared_ptr<lode::Store> store;
  // Store request retries spent before the run started (the S3 bucket probe while opening
  // `store`): they belong to this run's lode_write_retry_total.
  uint64_t store_open_retries = 0;
  std::string dataset = "quarry";
  policy::PolicyConfig policy;
  // Event sinks (cli-and-integrations.md §8.5); empty = the implicit mandatory Lode sink.
  std::vector<sinks::SinkConfig> event_sinks;
  // The notification adapter, sent by the caller after the run (the orchestrator ignores it).
  std::optional<adapters::AdapterConfig> adapter;

  std::optional<ProxyEndpoint> proxy;
  // The pool `proxy` was selected from, when it came from one (D4): the run reports rotate_proxy
  // and the endpoint's health back to it, and each fan-out child selects from it again.
  std::shared_ptr<proxy::PoolClient> proxy_pool;
  std::optional<proxy::Selection> proxy_selection;
  std::optional<ResumePoint> resume;
  std::string browser_ws_endpoint;
  std::optional<Duration> timeout;  // whole-run limit (D8)
  // How long the run waits for its end-of-run flush and for the metrics write (§3.8, D2). Not
  // user settings: tests shorten them to prove that a store which stops answering cannot hang a
  // run.
  Duration flush_timeout = std::chrono::seconds(120);
  Duration metrics_timeout = std::chrono::seconds(120);
  std::string resolve_from;  // absolute directory, or empty
  std::optional<lode::FanoutLink> fanout;
  // Extra environment for the executor, on top of the inherited one (which has Quarry's own
  // credentials removed: run/executor_env.h).
  std::vector<std::pair<std::string, std::string>> env;
  // Credential variables to pass to the executor anyway (--executor-env NAME).
  std::vector<std::string> env_pass_through;

  RunObserver observer;
};

}  // namespace quarry::run
