// The connection flags every quarry-temporal subcommand takes (../shared/spec/temporal.md §3).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "client/connection_options.h"

namespace quarry::temporal::cli {

// Registers --address, --namespace, --identity, TLS flags and --api-key on `cmd`; the values land
// in `*options`, which must outlive parsing.
void AddConnectionFlags(CLI::App* cmd, ConnectionOptions* options);

// One "Error: <message>" line on stderr, the way `quarry` reports pre-run errors.
void PrintError(const std::string& message);

}  // namespace quarry::temporal::cli
