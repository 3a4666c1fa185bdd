// The outcome of one run (executor-contract.md §17) and what the report and metrics say about it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/policy/policy.h"
#include "quarry/run/run_config.h"

namespace quarry::run {

enum class Outcome { kSuccess, kScriptError, kExecutorCrash, kPolicyFailure, kVersionMismatch };

std::string_view OutcomeName(Outcome outcome);  // success, script_error, ...
// quarry run exit code for an outcome (§18): 0, 1, 2, 3, 3.
int OutcomeExitCode(Outcome outcome);

struct ArtifactStats {
  uint64_t total = 0;
  uint64_t committed = 0;
  uint64_t orphaned = 0;
  uint64_t chunks = 0;
  uint64_t bytes = 0;
  std::vector<std::string> orphan_ids;
};

// Per-run counters of storage-and-policies.md §7.2 (each lifecycle counter 0 or 1).
struct RunMetrics {
  uint64_t runs_started_total = 0;
  uint64_t runs_completed_total = 0;
  uint64_t runs_failed_total = 0;
  uint64_t runs_crashed_total = 0;
  uint64_t events_received_total = 0;
  uint64_t events_persisted_total = 0;
  uint64_t events_dropped_total = 0;
  std::map<std::string, uint64_t> dropped_by_type;
  std::optional<policy::FlushTriggers> flush_triggers;
  // Additions for runs with `--event-sink`/`events.sinks` (absent otherwise): the events each sink
  // stored, and the events best_effort sinks failed or skipped (docs/integrations.md).
  std::optional<std::map<std::string, uint64_t>> events_persisted_by_sink;
  uint64_t event_sink_dropped_total = 0;
  uint64_t executor_launch_success_total = 0;
  uint64_t executor_launch_failure_total = 0;
  uint64_t executor_crash_total = 0;
  uint64_t ipc_decode_errors_total = 0;
  uint64_t lode_write_success_total = 0;
  uint64_t lode_write_failure_total = 0;
  uint64_t lode_write_retry_total = 0;
  // Dimensions.
  std::string policy;
  std::string executor;
  std::string storage_backend;
  std::string run_id;
  std::optional<std::string> job_id;
};

struct RunResult {
  RunMeta meta;
  Outcome outcome = Outcome::kExecutorCrash;
  std::string message;
  std::optional<std::string> error_type;
  std::optional<std::string> stack;
  int64_t duration_ms = 0;
  int64_t event_count = 0;  // last accepted seq
  policy::PolicyStats policy_stats;
  std::string policy_name;
  ArtifactStats artifacts;
  RunMetrics metrics;
  // The whole payload of the accepted terminal event as canonical JSON; absent without one.
  std::optional<std::string> terminal_summary_json;
  // Redacted proxy (never a password), from run_result.proxy_used or the selected endpoint.
  std::optional<ProxyEndpoint> proxy_used;
  std::string stderr_text;  // retained executor stderr (last 1 MiB)
  std::string started_at;   // RFC 3339 UTC, milliseconds
  std::string day;          // partition day

  int ExitCode() const { return OutcomeExitCode(outcome); }
};

}  // namespace quarry::run
