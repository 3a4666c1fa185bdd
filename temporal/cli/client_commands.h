// `quarry-temporal start | result | describe | cancel` (../shared/spec/temporal.md §5).
#pragma once

#include <CLI/CLI.hpp>

namespace quarry::temporal::cli {

void AddClientCommands(CLI::App* app, int* exit_code);

}  // namespace quarry::temporal::cli
