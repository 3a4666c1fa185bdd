// Durations in the CLI grammar (cli-and-integrations.md §2): an optional sign, then one or more
// <decimal number><unit> groups with unit ns, us (µs, μs), ms, s, m, h; a bare "0" is allowed.
// Printed back in the same form: 1h30m0s, 5m0s, 500ms, 1.5s.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "quarry/status.h"

namespace quarry {

using Duration = std::chrono::nanoseconds;

// Error text: `invalid duration "<s>": <why>`.
StatusOr<Duration> ParseDuration(std::string_view text);
std::string FormatDuration(Duration d);

}  // namespace quarry
