#include "run/executor_env.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "process/subprocess.h"
#include "quarry/run/run_spec.h"

namespace quarry::run {
namespace {

constexpr std::array<std::string_view, 3> kCredentialPrefixes = {
    "AWS_",       // static keys, session tokens, container-credential tokens, profiles' secrets
    "TEMPORAL_",  // TEMPORAL_API_KEY, TEMPORAL_TLS_* (client certificates and keys)
    "QUARRY_SECRET_",
};

// AWS_/TEMPORAL_ variables that are configuration, not secrets: scripts (and the AWS SDKs they
// may use) keep seeing them.
constexpr std::array<std::string_view, 6> kNotSecret = {
    "AWS_REGION",       "AWS_DEFAULT_REGION", "AWS_PROFILE",
    "AWS_ENDPOINT_URL", "TEMPORAL_ADDRESS",   "TEMPORAL_NAMESPACE",
};

// Read by Quarry, never by the executor (the endpoint reaches it in the run request), and a
// browser endpoint URL may carry a token.
constexpr std::array<std::string_view, 1> kQuarryOnly = {"QUARRY_BROWSER_ENDPOINT"};

std::string_view NameOf(std::string_view kv) { return kv.substr(0, kv.find('=')); }

}  // namespace

bool IsQuarryCredentialEnv(std::string_view name) {
  if (std::find(kQuarryOnly.begin(), kQuarryOnly.end(), name) != kQuarryOnly.end()) return true;
  if (std::find(kNotSecret.begin(), kNotSecret.end(), name) != kNotSecret.end()) return false;
  for (std::string_view p : kCredentialPrefixes) {
    if (name.starts_with(p)) return true;
  }
  return false;
}

std::vector<std::string> ExecutorEnvironment(const ExecutorEnvOptions& o, char* const* inherited) {
  std::vector<std::string> env;
  std::string node_path;
  auto overridden = [&](std::string_view name) {
    if (name == process::kRunTokenEnv || name == "QUARRY_RESOLVE_FROM") return true;
    return std::any_of(o.extra.begin(), o.extra.end(),
                       [&](const auto& kv) { return kv.first == name; });
  };
  for (char* const* e = inherited; e && *e; ++e) {
    std::string_view kv(*e);
    std::string_view name = NameOf(kv);
    if (name == "NODE_PATH") {
      node_path = std::string(kv.substr(name.size() + 1));
      continue;
    }
    if (overridden(name)) continue;
    if (IsQuarryCredentialEnv(name) &&
        std::find(o.pass_through.begin(), o.pass_through.end(), name) == o.pass_through.end()) {
      continue;
    }
    env.emplace_back(kv);
  }
  env.push_back(std::string(process::kRunTokenEnv) + "=" + o.run_token);
  if (!o.resolve_from.empty()) {
    env.push_back("QUARRY_RESOLVE_FROM=" + o.resolve_from);
    // <dir> first, then the inherited entries without duplicates (cli-and-integrations §14.4).
    std::string merged = o.resolve_from;
    size_t start = 0;
    while (!node_path.empty() && start <= node_path.size()) {
      size_t end = node_path.find(':', start);
      std::string part = node_path.substr(start, end == std::string::npos ? end : end - start);
      if (!part.empty() && (":" + merged + ":").find(":" + part + ":") == std::string::npos) {
        merged += ":" + part;
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
    node_path = merged;
  }
  if (!node_path.empty()) env.push_back("NODE_PATH=" + node_path);
  for (const auto& [k, v] : o.extra) env.push_back(k + "=" + v);
  return env;
}

StatusOr<std::vector<std::string>> ParseExecutorEnvNames(const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    bool ok = !n.empty() && (std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_');
    for (char c : n) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!ok) {
      return InvalidArgumentError("--executor-env: \"" + n +
                                  "\" is not a variable name (give NAME; the value comes from "
                                  "the environment)");
    }
  }
  return names;
}

}  // namespace quarry::run
