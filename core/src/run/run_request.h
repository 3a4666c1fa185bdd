// The run request written to the executor's stdin (executor-contract.md §7): one compact JSON
// object, keys in the documented order, '<' '>' '&' escaped as \u003c \u003e \u0026, then LF.
#pragma once

#include <string>

#include "quarry/run/run_config.h"
#include "quarry/status.h"

namespace quarry::run {

// `day` and `started` feed the storage block. Fails when job_json is not valid JSON.
StatusOr<std::string> BuildRunRequest(const RunConfig& config, const std::string& day);

}  // namespace quarry::run
