// `quarry-temporal crawl` (docs/temporal.md, "QuarryCrawlWorkflow"): the run flags of `start` for
// the root, plus the fan-out limits of `quarry run` (--depth, --max-runs, --parallel); starts a
// QuarryCrawlWorkflow and can wait for its summary.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "cli/run_flags.h"
#include "quarry/status.h"

namespace quarry::temporal::cli {

struct CrawlShape {
  int64_t depth = 0;
  int64_t max_runs = 0;
  int64_t parallel = 1;
  int64_t continue_as_new_after = 0;  // 0: the workflow's default
};

// The workflow input: the start input of `run` plus the limits and `target_dir` = this process's
// working directory (relative targets resolve as they would for `quarry run` here), checked the
// way the workflow checks it.
StatusOr<nlohmann::json> BuildCrawlInput(const RunFlags& run, const CrawlShape& shape);

void AddCrawlCommand(CLI::App* app, int* exit_code);

}  // namespace quarry::temporal::cli
