// `quarry export` (issue 12 item 2; docs/export.md): the committed records of a run, a
// job, or a source/category/day range, streamed file by file to stdout or a file as JSONL or CSV;
// `--list-files` prints the committed data files instead.
#pragma once

#include <CLI/CLI.hpp>

namespace quarry::cli {

void AddExportCommand(CLI::App* app, int* exit_code);

}  // namespace quarry::cli
