// `--tui` (cli-and-integrations.md §6.4): an interactive, read-only view of the dataset that
// starts at the place the command names (`stats runs --tui`, `inspect run <id> --tui`, …), lets
// the user open what a row names and go back, and reloads the dataset every 2 s.
#pragma once

#include "quarry/status.h"
#include "read/dataset_location.h"
#include "tui/screens.h"

namespace quarry::cli::tui {

// Blocks until the user quits. Errors before the terminal is taken (not a terminal, the dataset
// cannot be read, the entity does not exist) come back as the command's one-line error.
Status RunTui(const LocationFlags& location, const Place& start, bool color);

}  // namespace quarry::cli::tui
