// The read-only commands (cli-and-integrations.md §5): inspect run|job|task|executor,
// stats runs|jobs|tasks|executors|metrics, list runs|jobs|executors, debug ipc, and version.
// The proxy leaves (inspect proxy, stats proxies, list pools, debug resolve proxy):
// proxy_commands.h.
#pragma once

#include <CLI/CLI.hpp>

namespace quarry::cli {

// Each command sets *exit_code to 1 on an error, after printing `Error: <message>`.
void AddReadCommands(CLI::App* app, int* exit_code);

}  // namespace quarry::cli
