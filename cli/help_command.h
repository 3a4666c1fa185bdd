// `quarry help [command]` and the top-level usage errors (cli-and-integrations.md §2; issue 12
// item 5): an unknown command is named with a "did you mean", and exit codes follow one rule.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace quarry::cli {

// Adds `help`: no argument prints the top-level help; `help run` prints `run --help`.
void AddHelpCommand(CLI::App* app, int* exit_code);

// When `word` (argv[1], not a flag) names no command: `unknown command "inspekt" (did you mean
// inspect?); run "quarry help" for the list`. nullopt for a known command.
std::optional<std::string> UnknownCommandMessage(const CLI::App& app, const std::string& word);

// The exit code of a usage error (docs/decisions.md): 1 inside a read-only command (spec §2),
// 2 for `run` and at the top level (no command recognised).
int UsageErrorExitCode(const CLI::App& app, int argc, char** argv);

}  // namespace quarry::cli
