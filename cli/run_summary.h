// The stdout result block of `quarry run` (cli-and-integrations.md §4.5).
#pragma once

#include <chrono>
#include <string>

#include "quarry/policy/policy.h"
#include "quarry/run/run_result.h"

namespace quarry::cli {

std::string FormatRunSummary(const run::RunResult& result, const policy::PolicyConfig& policy,
                             std::chrono::steady_clock::duration wall_time);

}  // namespace quarry::cli
