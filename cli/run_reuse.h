// A --run-id that already has data in the dataset (issue 12 item 5): warned about, not refused
// (docs/decisions.md).
#pragma once

#include <optional>
#include <string>

#include "quarry/lode/store.h"

namespace quarry::cli {

// The warning text when the run's partition for `day` (source, category, day, run id) already
// holds objects; nullopt when it is empty or cannot be listed (the run itself will report a
// store that does not work).
std::optional<std::string> RunIdReuseWarning(lode::Store& store, const std::string& dataset,
                                             const std::string& source, const std::string& category,
                                             const std::string& day, const std::string& run_id);

// Today's UTC date, the `day` a run starting now gets.
std::string TodayUtc();

}  // namespace quarry::cli
