// `quarry run --help` (issue 12 item 5): flags in named groups with their defaults, required
// flags marked, and two examples that work when pasted from the repository root.
#pragma once

#include <CLI/CLI.hpp>

namespace quarry::cli {

// Call after every flag of `run` is added: assigns groups, captures defaults, sets the footer
// and the formatter that prints the groups in a fixed order.
void ConfigureRunHelp(CLI::App* run);

}  // namespace quarry::cli
