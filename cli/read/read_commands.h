// The read-only commands (cli-and-integrations.md §5): inspect run|job|task|executor,
// stats runs|jobs|tasks|executors|metrics, list runs|jobs|executors, debug ipc, and version.
// (inspect proxy, stats proxies, list pools and debug resolve proxy belong to the proxy pools.)
#pragma once

#include <CLI/CLI.hpp>

namespace quarry::cli {

// Each command sets *exit_code to 1 on an error, after printing `Error: <message>`.
void AddReadCommands(CLI::App* app, int* exit_code);

}  // namespace quarry::cli
