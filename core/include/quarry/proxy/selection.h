// Endpoint selection over a pool's persisted state (storage-and-policies.md §8.4, §8.5) and the
// endpoint health rules (docs/proxies.md): pure functions of (pool, state, request, clock, rng),
// so the state store can run them inside one transaction and tests can run them without one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "quarry/proxy/pool.h"
#include "quarry/status.h"

namespace quarry::proxy {

struct StickyEntry {
  int index = 0;
  std::optional<int64_t> expires_at_ms;  // unix ms; none = never expires
};

struct EndpointHealth {
  int consecutive_failures = 0;
  std::optional<int64_t> last_failure_at_ms;
  std::optional<int64_t> benched_until_ms;
  uint64_t failures = 0, successes = 0;
};

// Everything §8.5 keeps per pool. Indices refer to the pool's endpoints in order; the fingerprint
// ties them to one endpoint list (a change resets the state).
struct PoolState {
  std::string fingerprint;
  // Last seen settings, so read commands can describe a pool without its config.
  std::string strategy;
  int64_t endpoint_count = 0;
  std::optional<Sticky> sticky;
  std::optional<int64_t> recency_window;

  uint64_t rr_counter = 0;
  std::vector<int> ring;  // oldest first
  std::map<std::string, StickyEntry> sticky_map;
  std::optional<int> avoid;  // the pending rotation
  uint64_t requests = 0, failures = 0;
  std::optional<int64_t> last_used_at_ms;
  std::vector<EndpointHealth> health;  // one per endpoint
};

// A fresh state for `pool` (its fingerprint and settings, zero counters).
PoolState FreshState(const Pool& pool);
// When the fingerprint differs, replaces `state` with a fresh one and returns true.
bool ResetIfChanged(const Pool& pool, PoolState* state);

nlohmann::json StateToJson(const PoolState& state);
StatusOr<PoolState> StateFromJson(const nlohmann::json& j);

struct HealthRules {
  int bench_after = 3;                   // consecutive failures that bench an endpoint
  int64_t bench_for_ms = 5 * 60 * 1000;  // how long it stays benched
};

struct SelectionRequest {
  std::string strategy;  // override; "" = the pool's
  std::string sticky_key, domain, origin, job_id;
};

struct Selection {
  int index = 0;
  Endpoint endpoint;       // with the password: it goes into the run request
  std::string sticky_key;  // the key a sticky selection used ("" otherwise)
  std::vector<std::string> warnings;
};

// Uniform integer in [0, n).
using Random = std::function<uint64_t(uint64_t n)>;
Random SystemRandom();

// One selection. With commit, `state` is updated as §8.5 says (counter, ring, sticky entry,
// requests, last_used_at, the pending rotation cleared); without, nothing in it changes (a peek).
StatusOr<Selection> Select(const Pool& pool, PoolState* state, const SelectionRequest& req,
                           bool commit, int64_t now_ms, const HealthRules& rules,
                           const Random& random);

// A rotate_proxy from a run that used endpoint `index`: avoid it on the next committed selection,
// count a failure and forget the run's sticky entry.
void Rotate(PoolState* state, int index, const std::string& sticky_key);

// The end of a run that used endpoint `index`: a failure mark (a proxy error or a rotation) or a
// success that clears the count.
void RecordOutcome(PoolState* state, int index, bool failed, int64_t now_ms,
                   const HealthRules& rules);

// True while the endpoint is benched at `now_ms`.
bool Benched(const PoolState& state, int index, int64_t now_ms);

}  // namespace quarry::proxy
