#include "workflows/crawl_params.h"

#include "workflows/json_fields.h"

namespace quarry::temporal {

using nlohmann::json;

namespace {

// The fields of the input that are the crawl's, not the root run's.
constexpr const char* kCrawlKeys[] = {
    "depth", "max_runs", "parallel", "target_dir", "max_enqueued_per_run", "continue_as_new_after",
    "retry", "activity", "notify",   "frontier"};

Status InRange(const char* name, int64_t v, int64_t lo, int64_t hi) {
  if (v >= lo && v <= hi) return Status::Ok();
  return InvalidArgumentError("\"" + std::string(name) + "\" must be in " + std::to_string(lo) +
                              ".." + std::to_string(hi));
}

}  // namespace

StatusOr<CrawlParams> ParseCrawlParams(const json& input) {
  if (!input.is_object()) return InvalidArgumentError("crawl input must be a JSON object");
  CrawlParams p;
  p.activity.schedule_to_start = Millis(0);
  json run_template = input;
  for (const char* key : kCrawlKeys) run_template.erase(key);
  QUARRY_RETURN_IF_ERROR(ValidateRunTemplate(run_template));

  Fields f(input, "");
  for (auto it = run_template.begin(); it != run_template.end(); ++it) {
    f.Raw(it.key().c_str());  // checked above
  }
  if (!input.contains("depth")) return InvalidArgumentError("\"depth\" is required (1 or more)");
  if (!input.contains("max_runs")) {
    return InvalidArgumentError("\"max_runs\" is required (1 or more)");
  }
  QUARRY_RETURN_IF_ERROR(f.Int("depth", &p.depth));
  QUARRY_RETURN_IF_ERROR(f.Int("max_runs", &p.max_runs));
  QUARRY_RETURN_IF_ERROR(f.Int("parallel", &p.parallel));
  QUARRY_RETURN_IF_ERROR(f.String("target_dir", &p.target_dir));
  QUARRY_RETURN_IF_ERROR(f.Int("max_enqueued_per_run", &p.max_enqueued_per_run));
  QUARRY_RETURN_IF_ERROR(f.Int("continue_as_new_after", &p.continue_as_new_after));
  QUARRY_RETURN_IF_ERROR(ParseWorkflowKnobs(f, &p.retry, &p.activity, &p.notify));
  Status st;
  if (const json* frontier = f.Object("frontier", &st)) p.frontier = *frontier;
  QUARRY_RETURN_IF_ERROR(st);
  QUARRY_RETURN_IF_ERROR(f.Finish());

  QUARRY_RETURN_IF_ERROR(InRange("depth", p.depth, 1, kMaxCrawlDepth));
  QUARRY_RETURN_IF_ERROR(InRange("max_runs", p.max_runs, 1, kMaxCrawlRuns));
  QUARRY_RETURN_IF_ERROR(InRange("parallel", p.parallel, 1, kMaxCrawlParallel));
  QUARRY_RETURN_IF_ERROR(
      InRange("max_enqueued_per_run", p.max_enqueued_per_run, 1, kMaxEnqueuedPerResult));
  QUARRY_RETURN_IF_ERROR(InRange("continue_as_new_after", p.continue_as_new_after,
                                 kMinContinueAsNewAfter, kMaxContinueAsNewAfter));
  if (!p.target_dir.empty() && p.target_dir[0] != '/') {
    return InvalidArgumentError("\"target_dir\" must be an absolute directory");
  }
  p.run_template = std::move(run_template);
  p.input = input;
  p.input.erase("frontier");
  return p;
}

}  // namespace quarry::temporal
