// Input of QuarryCrawlWorkflow (docs/temporal.md, "QuarryCrawlWorkflow"): the root run's template
// (the fields of a QuarryExtractionWorkflow input) plus the fan-out limits of
// cli-and-integrations.md §9 and the workflow's own knobs:
//
//   depth                  1..1000, required: children deeper than this are skipped (root = 0)
//   max_runs               1..50,000, required: children accepted over the whole crawl
//   parallel               1..50 (default 1): children running at once
//   target_dir             absolute directory relative targets are resolved against (default:
//                          the worker's working directory); `quarry-temporal crawl` sets its own
//   max_enqueued_per_run   1..1000 (default 1000): enqueue requests one run hands back
//   continue_as_new_after  20..40,000 events (default 4,000): history length that starts a
//                          continue-as-new
//   retry, activity, notify  as for QuarryExtractionWorkflow (every task's attempts)
//   frontier               set by the workflow itself when it continues as new
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "quarry/status.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal {

inline constexpr char kCrawlWorkflow[] = "QuarryCrawlWorkflow";

inline constexpr int64_t kMaxCrawlDepth = 1000;
inline constexpr int64_t kMaxCrawlRuns = 50'000;
inline constexpr int64_t kMaxCrawlParallel = 50;
inline constexpr int64_t kDefaultContinueAsNewAfter = 4'000;
inline constexpr int64_t kMinContinueAsNewAfter = 20;
inline constexpr int64_t kMaxContinueAsNewAfter = 40'000;

struct CrawlParams {
  nlohmann::json run_template = nlohmann::json::object();  // the root's fields, as given
  nlohmann::json input = nlohmann::json::object();         // everything but `frontier`
  int64_t depth = 0;
  int64_t max_runs = 0;
  int64_t parallel = 1;
  std::string target_dir;
  int64_t max_enqueued_per_run = kMaxEnqueuedPerResult;
  int64_t continue_as_new_after = kDefaultContinueAsNewAfter;
  WorkflowRetry retry;
  ActivityTimeouts activity;  // schedule_to_start: none unless asked (tasks wait for a slot)
  std::optional<NotifyParams> notify;
  std::optional<nlohmann::json> frontier;
};

StatusOr<CrawlParams> ParseCrawlParams(const nlohmann::json& input);

}  // namespace quarry::temporal
