// ReadQuarryBatchRuns (workflows/batch_params.h): the batch workflows' window on a runs file.
// Workflow code does no I/O, so a JSONL file of runs is read here, on the worker:
//   {runs_file, runs_file_sha256?, runs_offset?, runs_count?} -> {line_count, sha256, runs}
// `runs` holds runs_count runs from runs_offset (-1: to the end; 0: none, just count and digest).
// A missing or unreadable file, a changed digest, a line that is not a JSON object or a slice
// too large for one payload fail non-retryable (CONFIG_ERROR) with the file and line named.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "worker/extraction_activity.h"

namespace quarry::temporal {

ActivityOutcome ReadBatchRuns(const std::optional<nlohmann::json>& input);

}  // namespace quarry::temporal
