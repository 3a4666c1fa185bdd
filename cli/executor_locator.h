// Finds the executor (executor-contract.md §14.1): --executor, then the bundle installed next to
// the binary, then the development build in the source tree, then `quarry-executor` on PATH.
#pragma once

#include <string>

#include "quarry/status.h"

namespace quarry::cli {

// `explicit_path` (from --executor) must exist when non-empty.
StatusOr<std::string> LocateExecutor(const std::string& explicit_path);

}  // namespace quarry::cli
