// `quarry outbox list | flush` (cli-and-integrations.md §8.6 step 5; docs/outbox.md).
#pragma once

#include <CLI/CLI.hpp>

namespace quarry::cli {

void AddOutboxCommand(CLI::App* app, int* exit_code);

}  // namespace quarry::cli
