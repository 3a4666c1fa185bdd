// Loading the read model for one read command: open the store, scan the dataset through the
// digest cache, give up after the read timeout (60 s, §5.2), and keep a progress line on stderr
// while scanning when stderr is a terminal.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "quarry/read/model.h"
#include "quarry/status.h"
#include "read/dataset_location.h"

namespace quarry::cli {

// QUARRY_READ_TIMEOUT (a duration, docs/reading.md) overrides the 60 s.
std::chrono::milliseconds ReadTimeout();

// Runs `body` on the loaded dataset. The whole of it (store, scan, body) is bounded by the read
// timeout: past it the command fails with `timed out reading dataset after <t>`; `body` may then
// still run later on a thread left behind, so it must own what it touches. `progress` false: no
// scan progress line (the TUI owns the terminal).
Status WithDataset(const LocationFlags& location,
                   const std::function<Status(const read::Dataset&)>& body, bool progress = true);

// The loaded dataset itself, under the same timeout (the TUI keeps it between refreshes).
StatusOr<std::shared_ptr<const read::Dataset>> LoadDataset(const LocationFlags& location,
                                                           bool progress);

}  // namespace quarry::cli
