// Nesting bounds for JSON that reaches quarry-temporal from outside: workflow and activity inputs
// written by any Temporal client, results and details read back from histories, batch lines,
// flags. nlohmann parses iteratively but copies, compares and serialises recursively, so one
// value nested 30,000 levels deep would overflow the stack of the worker thread that touches it.
#pragma once

#include <nlohmann/json.hpp>

#include "quarry/json/parse.h"

namespace quarry::temporal {

// Every json/plain payload: the wire limit the runtime applies to msgpack (256). A user value
// (job, ≤ ::quarry::json::kMaxUserDepth) wrapped in a workflow input, a batch, an activity result
// or failure details stays well inside it.
inline constexpr int kMaxPayloadDepth = 256;

// One run line of a batch file: an object holding the job, so one level above a job.
inline constexpr int kMaxRunLineDepth = ::quarry::json::kMaxUserDepth + 1;

// True when `value` nests deeper than `max_depth` (a scalar is depth 0, `[]` and `[1]` depth 1).
// Iterative, so it is safe on values of any depth.
bool NestsDeeperThan(const nlohmann::json& value, int max_depth);

}  // namespace quarry::temporal
