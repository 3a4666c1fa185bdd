// The fan-out settings of `quarry run` (cli-and-integrations.md §4.1 rows 36–38, §9) plus the
// additions of docs/fanout.md (--child-retries, --resume), checked at §4.3 step 11.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "quarry/status.h"

namespace quarry::fanout {

struct Settings {
  int64_t depth = 0;  // 0 = fan-out off
  int64_t max_runs = 0;
  int64_t parallel = 1;
  bool parallel_set = false;  // given explicitly (warned about without --depth)
  int64_t child_retries = 0;
  bool resume = false;

  bool enabled() const { return depth > 0; }
};

// Errors name the flag ("--max-runs must be > 0 when --depth > 0"); warnings go to `warn`.
Status ValidateSettings(const Settings& s, const std::function<void(const std::string&)>& warn);

}  // namespace quarry::fanout
