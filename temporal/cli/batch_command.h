// `quarry-temporal batch --file jobs.jsonl` (../shared/spec/temporal.md §5): one run per
// non-empty line, laid over the run flags given on the command line; picks BatchExtraction
// (≤ 500 runs) or LargeBatchExtraction (more, as BatchChunk children) and can wait for the
// aggregate.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/run_flags.h"
#include "quarry/status.h"

namespace quarry::temporal::cli {

struct BatchPlan {
  std::string workflow_type;  // BatchExtraction or LargeBatchExtraction
  nlohmann::json input;
  int64_t runs = 0;
};

struct BatchShape {
  int64_t max_parallel = 50;
  int64_t max_parallel_chunks = 4;
  int64_t chunk_size = 500;
  int64_t continue_as_new_after = 10'000;  // large batches: history events per run of the chain
  // Above this many bytes of runs, even a small batch passes the file by reference.
  size_t max_inline_bytes = 256 * 1024;
};

// Reads and checks every line of `file` against the run flags' template (errors name the line),
// then builds the workflow input. Pure apart from reading the file, for the unit tests.
StatusOr<BatchPlan> PlanBatch(const std::string& file, const RunFlags& run,
                              const BatchShape& shape);

void AddBatchCommand(CLI::App* app, int* exit_code);

}  // namespace quarry::temporal::cli
