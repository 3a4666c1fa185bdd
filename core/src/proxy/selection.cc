#include "quarry/proxy/selection.h"

#include <openssl/rand.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace quarry::proxy {

namespace {

using nlohmann::json;

// Endpoints no selection may return: the pending rotation (unless the pool has one endpoint) and
// benched endpoints (unless that would leave nothing).
std::vector<bool> Excluded(const PoolState& s, size_t n, int64_t now_ms) {
  std::vector<bool> out(n, false);
  if (s.avoid && n > 1 && *s.avoid >= 0 && static_cast<size_t>(*s.avoid) < n) out[*s.avoid] = true;
  std::vector<bool> with_bench = out;
  bool any_left = false;
  for (size_t i = 0; i < n; ++i) {
    if (Benched(s, static_cast<int>(i), now_ms)) with_bench[i] = true;
    any_left = any_left || !with_bench[i];
  }
  return any_left ? with_bench : out;
}

void PutOpt(json* j, const char* key, const std::optional<int64_t>& v) {
  (*j)[key] = v ? json(*v) : json(nullptr);
}

std::optional<int64_t> GetOpt(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<int64_t>();
}

}  // namespace

PoolState FreshState(const Pool& pool) {
  PoolState s;
  s.fingerprint = PoolFingerprint(pool);
  s.strategy = pool.strategy;
  s.endpoint_count = static_cast<int64_t>(pool.endpoints.size());
  s.sticky = pool.sticky;
  s.recency_window = pool.recency_window;
  s.health.resize(pool.endpoints.size());
  return s;
}

bool ResetIfChanged(const Pool& pool, PoolState* state) {
  if (state->fingerprint == PoolFingerprint(pool)) {
    // Same endpoints: keep the counters, refresh the settings read commands show.
    state->strategy = pool.strategy;
    state->sticky = pool.sticky;
    state->recency_window = pool.recency_window;
    state->health.resize(pool.endpoints.size());
    return false;
  }
  *state = FreshState(pool);
  return true;
}

bool Benched(const PoolState& state, int index, int64_t now_ms) {
  if (index < 0 || static_cast<size_t>(index) >= state.health.size()) return false;
  const auto& until = state.health[index].benched_until_ms;
  return until && *until > now_ms;
}

Random SystemRandom() {
  return [](uint64_t n) -> uint64_t {
    if (n <= 1) return 0;
    // Rejection sampling keeps the choice uniform.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v = 0;
    do {
      if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) return 0;
    } while (v >= limit);
    return v % n;
  };
}

StatusOr<Selection> Select(const Pool& pool, PoolState* state, const SelectionRequest& req,
                           bool commit, int64_t now_ms, const HealthRules& /*rules*/,
                           const Random& random) {
  const std::string strategy = req.strategy.empty() ? pool.strategy : req.strategy;
  if (strategy != "round_robin" && strategy != "random" && strategy != "sticky") {
    return InvalidArgumentError("unknown strategy \"" + strategy + "\"");
  }
  const size_t n = pool.endpoints.size();
  if (n == 0) return InvalidArgumentError("pool \"" + pool.name + "\" has no endpoints");
  PoolState work = *state;
  work.health.resize(n);
  Selection sel;
  if (work.avoid && n == 1) {
    sel.warnings.push_back("pool \"" + pool.name +
                           "\" has one endpoint: cannot rotate away from it, using it again");
  }
  const std::vector<bool> excluded = Excluded(work, n, now_ms);
  const bool ring = pool.HasRing();

  auto pick_random = [&]() -> int {
    std::vector<int> candidates;
    for (size_t i = 0; i < n; ++i) {
      const bool in_ring = ring && std::find(work.ring.begin(), work.ring.end(),
                                             static_cast<int>(i)) != work.ring.end();
      if (!excluded[i] && !in_ring) candidates.push_back(static_cast<int>(i));
    }
    int chosen = -1;
    if (!candidates.empty()) {
      chosen = candidates[random(candidates.size())];
    } else {
      for (int r : work.ring) {  // every endpoint is recent: the oldest ring entry
        if (static_cast<size_t>(r) < n && !excluded[r]) {
          chosen = r;
          break;
        }
      }
      if (chosen < 0) {
        for (size_t i = 0; i < n; ++i) {
          if (!excluded[i]) candidates.push_back(static_cast<int>(i));
        }
        chosen = candidates[random(candidates.size())];
      }
    }
    if (ring) {
      work.ring.push_back(chosen);
      while (work.ring.size() > static_cast<size_t>(*pool.recency_window)) {
        work.ring.erase(work.ring.begin());
      }
    }
    return chosen;
  };

  if (strategy == "round_robin") {
    for (size_t k = 0; k < n; ++k) {
      const size_t i = (work.rr_counter + k) % n;
      if (!excluded[i]) {
        sel.index = static_cast<int>(i);
        work.rr_counter += k + 1;
        break;
      }
    }
  } else if (strategy == "random") {
    sel.index = pick_random();
  } else {
    std::string key = req.sticky_key;
    if (key.empty()) {
      const std::string scope = pool.sticky ? pool.sticky->scope : "job";
      key = scope == "domain" ? req.domain : scope == "origin" ? req.origin : req.job_id;
    }
    if (key.empty()) return InvalidArgumentError("sticky selection requires a sticky key");
    sel.sticky_key = key;
    auto it = work.sticky_map.find(key);
    if (it != work.sticky_map.end()) {
      const StickyEntry& e = it->second;
      const bool expired = e.expires_at_ms && *e.expires_at_ms <= now_ms;
      const bool usable = static_cast<size_t>(e.index) < n && !excluded[e.index];
      if (!expired && usable) {
        sel.index = e.index;
      } else {
        work.sticky_map.erase(it);
        it = work.sticky_map.end();
      }
    }
    if (it == work.sticky_map.end()) {
      sel.index = pick_random();
      StickyEntry e{sel.index, std::nullopt};
      if (pool.sticky && pool.sticky->ttl_ms) e.expires_at_ms = now_ms + *pool.sticky->ttl_ms;
      work.sticky_map[key] = e;
    }
  }
  sel.endpoint = pool.endpoints[sel.index];
  if (commit) {
    ++work.requests;
    work.last_used_at_ms = now_ms;
    work.avoid.reset();
    *state = std::move(work);
  }
  return sel;
}

void Rotate(PoolState* state, int index, const std::string& sticky_key) {
  state->avoid = index;
  ++state->failures;
  if (!sticky_key.empty()) state->sticky_map.erase(sticky_key);
}

void RecordOutcome(PoolState* state, int index, bool failed, int64_t now_ms,
                   const HealthRules& rules) {
  if (index < 0) return;
  if (static_cast<size_t>(index) >= state->health.size()) state->health.resize(index + 1);
  EndpointHealth& h = state->health[index];
  if (!failed) {
    ++h.successes;
    h.consecutive_failures = 0;
    h.benched_until_ms.reset();
    return;
  }
  ++h.failures;
  ++h.consecutive_failures;
  h.last_failure_at_ms = now_ms;
  // The count is kept while benched: after the cooldown, one more failure benches it again.
  if (rules.bench_after > 0 && h.consecutive_failures >= rules.bench_after) {
    h.benched_until_ms = now_ms + rules.bench_for_ms;
  }
}

json StateToJson(const PoolState& s) {
  json j;
  j["fingerprint"] = s.fingerprint;
  j["strategy"] = s.strategy;
  j["endpoint_count"] = s.endpoint_count;
  if (s.sticky) {
    json st{{"scope", s.sticky->scope}};
    if (s.sticky->ttl_ms) st["ttl_ms"] = *s.sticky->ttl_ms;
    j["sticky"] = st;
  } else {
    j["sticky"] = nullptr;
  }
  PutOpt(&j, "recency_window", s.recency_window);
  j["round_robin_counter"] = s.rr_counter;
  j["ring"] = s.ring;
  json sm = json::object();
  for (const auto& [k, e] : s.sticky_map) {
    json ej{{"index", e.index}};
    PutOpt(&ej, "expires_at_ms", e.expires_at_ms);
    sm[k] = ej;
  }
  j["sticky_map"] = sm;
  j["avoid"] = s.avoid ? json(*s.avoid) : json(nullptr);
  j["requests"] = s.requests;
  j["failures"] = s.failures;
  PutOpt(&j, "last_used_at_ms", s.last_used_at_ms);
  json hs = json::array();
  for (const EndpointHealth& h : s.health) {
    json hj{{"consecutive_failures", h.consecutive_failures},
            {"failures", h.failures},
            {"successes", h.successes}};
    PutOpt(&hj, "last_failure_at_ms", h.last_failure_at_ms);
    PutOpt(&hj, "benched_until_ms", h.benched_until_ms);
    hs.push_back(hj);
  }
  j["health"] = hs;
  return j;
}

StatusOr<PoolState> StateFromJson(const json& j) {
  try {
    PoolState s;
    s.fingerprint = j.at("fingerprint").get<std::string>();
    s.strategy = j.value("strategy", "");
    s.endpoint_count = j.value("endpoint_count", int64_t{0});
    if (j.contains("sticky") && j["sticky"].is_object()) {
      s.sticky = Sticky{j["sticky"].value("scope", ""), GetOpt(j["sticky"], "ttl_ms")};
    }
    s.recency_window = GetOpt(j, "recency_window");
    s.rr_counter = j.value("round_robin_counter", uint64_t{0});
    s.ring = j.value("ring", std::vector<int>{});
    const json sticky_map = j.value("sticky_map", json::object());
    for (const auto& [k, e] : sticky_map.items()) {
      s.sticky_map[k] = StickyEntry{e.at("index").get<int>(), GetOpt(e, "expires_at_ms")};
    }
    if (j.contains("avoid") && !j["avoid"].is_null()) s.avoid = j["avoid"].get<int>();
    s.requests = j.value("requests", uint64_t{0});
    s.failures = j.value("failures", uint64_t{0});
    s.last_used_at_ms = GetOpt(j, "last_used_at_ms");
    const json health = j.value("health", json::array());
    for (const json& h : health) {
      EndpointHealth eh;
      eh.consecutive_failures = h.value("consecutive_failures", 0);
      eh.failures = h.value("failures", uint64_t{0});
      eh.successes = h.value("successes", uint64_t{0});
      eh.last_failure_at_ms = GetOpt(h, "last_failure_at_ms");
      eh.benched_until_ms = GetOpt(h, "benched_until_ms");
      s.health.push_back(eh);
    }
    return s;
  } catch (const json::exception& e) {
    return DataLossError(std::string("proxy state: ") + e.what());
  }
}

}  // namespace quarry::proxy
