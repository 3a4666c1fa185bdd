// `quarry-temporal schedule create | describe | list | delete`: Temporal Schedules whose action
// starts QuarryExtractionWorkflow (../shared/spec/temporal.md §5).
#pragma once

#include <CLI/CLI.hpp>

namespace quarry::temporal::cli {

void AddScheduleCommands(CLI::App* app, int* exit_code);

}  // namespace quarry::temporal::cli
