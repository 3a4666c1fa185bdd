// The proxy read commands (cli-and-integrations.md §5.3–§5.7, storage-and-policies.md §8.6):
// inspect proxy, list pools, stats proxies, debug resolve proxy. They read the pools of --config
// / --proxy-config and the host's persisted selection state, and never change that state.
#pragma once

#include <CLI/CLI.hpp>

namespace quarry::cli {

// Adds the four leaves under the existing inspect, stats, list and debug commands of `app`.
void AddProxyReadCommands(CLI::App* app, int* exit_code);

}  // namespace quarry::cli
