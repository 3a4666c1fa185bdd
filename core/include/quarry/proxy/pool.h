// Proxy pools (storage-and-policies.md §8.1–§8.3): the data model shared by the config file, the
// legacy JSON file, the run request and the state store, and the validation rules with their
// texts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/status.h"

namespace quarry::proxy {

struct Endpoint {
  std::string protocol;  // http | https | socks5
  std::string host;
  int64_t port = 0;
  std::optional<std::string> username;
  std::optional<std::string> password;
};

struct Sticky {
  std::string scope;  // job | domain | origin
  std::optional<int64_t> ttl_ms;
};

struct Pool {
  std::string name;
  std::string strategy;  // round_robin | random | sticky (checked by ValidatePool)
  std::vector<Endpoint> endpoints;
  std::optional<Sticky> sticky;
  std::optional<int64_t> recency_window;

  // The recency ring exists only for a random pool with a positive window (§8.4).
  bool HasRing() const { return strategy == "random" && recency_window && *recency_window > 0; }
};

// Registration: the first hard rule a pool breaks is the error (the CLI prefixes it with "proxy
// selection failed: "); soft rules become warnings (without the "Warning: " prefix).
struct PoolCheck {
  Status status;
  std::vector<std::string> warnings;
};
PoolCheck ValidatePool(const Pool& pool);

// "<protocol>:<host>:<port>[:<username>]": the identity of an endpoint wherever one is stored or
// hashed. Never holds the password (§8.8).
std::string EndpointKey(const Endpoint& e);
// "sha256:<hex>" over the pool's endpoint keys, one per line, in order (§8.5).
std::string PoolFingerprint(const Pool& pool);
// A copy without the password: proxy_used, summaries, every output.
Endpoint Redacted(const Endpoint& e);
// "http://host:port (user u)" for messages; no password.
std::string Describe(const Endpoint& e);

// The legacy --proxy-config file: a JSON array of full pool objects. Structural errors name the
// element ("proxy config: [1].endpoints[0].port must be an integer"); rule checks are left to
// ValidatePool.
StatusOr<std::vector<Pool>> ParsePoolsJson(std::string_view text);

}  // namespace quarry::proxy
