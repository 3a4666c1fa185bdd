// `quarry run` (cli-and-integrations.md §4).
#pragma once

#include <CLI/CLI.hpp>

namespace quarry::cli {

// Registers the subcommand and its flags on `app`. `*exit_code` receives the process exit code.
void AddRunCommand(CLI::App* app, int* exit_code);

}  // namespace quarry::cli
