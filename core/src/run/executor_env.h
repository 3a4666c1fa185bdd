// The environment an executor (and so the user's script and its Chromium) starts with.
//
// Decision (docs/decisions.md, "Executor environment"): the executor inherits this process's
// environment minus the credentials Quarry itself consumes (Temporal API key, AWS keys, ...), so a
// script never sees a secret that was given to Quarry, while every other variable a script may
// rely on still reaches it. A user who does want one of those variables in the script names it
// with `--executor-env NAME` (pass_through).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quarry::run {

// True for the names of variables Quarry reads as credentials (exact names, and the AWS_* /
// TEMPORAL_* credential families).
bool IsQuarryCredentialEnv(std::string_view name);

struct ExecutorEnvOptions {
  std::string run_token;     // QUARRY_RUN_TOKEN, always set
  std::string resolve_from;  // absolute directory or empty: QUARRY_RESOLVE_FROM and NODE_PATH
  // Credential names to pass through anyway (--executor-env NAME).
  std::vector<std::string> pass_through;
  // Set last, overriding inherited values.
  std::vector<std::pair<std::string, std::string>> extra;
};

// "KEY=VALUE" entries built from `inherited` (a NULL-terminated environ-style array).
std::vector<std::string> ExecutorEnvironment(const ExecutorEnvOptions& options,
                                             char* const* inherited);

}  // namespace quarry::run
