// Usage errors a newcomer can act on (issue 12 item 5): unknown flags named in the order given
// with a "did you mean" for near misses, all missing required flags in one message, and a script
// path checked before anything starts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quarry/status.h"

namespace quarry::cli {

// Edit distance (insert, delete, substitute, swap of neighbours), for "did you mean".
size_t EditDistance(std::string_view a, std::string_view b);

// The known name closest to `word` when it is a near miss (distance <= 2, and less than half
// the word), else "".
std::string ClosestName(std::string_view word, const std::vector<std::string>& known);

// The arguments a command did not recognise (CLI11's remaining(), in the order given) as one
// line: `unknown flag --sorce (did you mean --source?)`, several joined by "; ". A value
// following an unknown flag is taken as its value, not reported separately. `known` holds the
// command's long flag names ("--source").
std::string UnknownArgumentsMessage(const std::vector<std::string>& remaining,
                                    const std::vector<std::string>& known);

// "--script is required" for one, "missing required flags: --script, --run-id" for several.
std::string MissingFlagsMessage(const std::vector<std::string>& missing);

}  // namespace quarry::cli
