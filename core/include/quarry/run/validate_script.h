// `<executor> --validate <script>`: loads and shape-checks a script without a browser
// (executor-contract.md §14.2); used by `quarry run --dry-run`.
#pragma once

#include <string>
#include <vector>

#include "quarry/status.h"

namespace quarry::run {

struct ScriptValidation {
  bool valid = false;
  std::string error;               // when !valid
  std::vector<std::string> hooks;  // present hooks, in the documented order
};

// Fails (an error Status) only when the executor could not be started or crashed without a
// parseable result line; an invalid script is a successful call with valid == false.
StatusOr<ScriptValidation> ValidateScript(const std::string& executor, const std::string& script,
                                          const std::string& resolve_from);

}  // namespace quarry::run
