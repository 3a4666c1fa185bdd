#include "quarry/proxy/pool.h"

#include <nlohmann/json.hpp>

#include "quarry/sha256.h"

namespace quarry::proxy {

namespace {

bool ValidProtocol(std::string_view p) { return p == "http" || p == "https" || p == "socks5"; }

}  // namespace

PoolCheck ValidatePool(const Pool& pool) {
  PoolCheck out;
  auto fail = [&](std::string m) {
    out.status = InvalidArgumentError(std::move(m));
    return out;
  };
  if (pool.name.empty()) return fail("proxy pool name must not be empty");
  const std::string at = "pool \"" + pool.name + "\"";
  if (pool.strategy != "round_robin" && pool.strategy != "random" && pool.strategy != "sticky") {
    return fail(at + ": invalid strategy \"" + pool.strategy +
                "\" (expected round_robin, random or sticky)");
  }
  if (pool.endpoints.empty()) return fail(at + ": at least one endpoint is required");
  for (size_t i = 0; i < pool.endpoints.size(); ++i) {
    const Endpoint& e = pool.endpoints[i];
    const std::string eat = at + " endpoint " + std::to_string(i);
    if (e.host.empty()) return fail(eat + ": host must not be empty");
    if (!ValidProtocol(e.protocol)) {
      return fail(eat + ": invalid protocol \"" + e.protocol +
                  "\" (expected http, https or socks5)");
    }
    if (e.port < 1 || e.port > 65535) {
      return fail(eat + ": port " + std::to_string(e.port) + " is out of range 1..65535");
    }
    const bool user = e.username && !e.username->empty();
    const bool pass = e.password && !e.password->empty();
    if (user != pass) return fail(eat + ": username and password must be set together");
    if (e.protocol == "socks5") {
      out.warnings.push_back(eat + " uses socks5: supported by the browser on a best-effort basis");
    }
  }
  if (pool.sticky) {
    const std::string& s = pool.sticky->scope;
    if (s != "job" && s != "domain" && s != "origin") {
      return fail(at + ": invalid sticky scope \"" + s + "\" (expected job, domain or origin)");
    }
    if (pool.sticky->ttl_ms && *pool.sticky->ttl_ms <= 0) {
      return fail(at + ": sticky ttl_ms must be greater than 0");
    }
  }
  if (pool.recency_window && *pool.recency_window <= 0) {
    return fail(at + ": recency_window must be greater than 0");
  }
  if (pool.strategy == "round_robin" && pool.endpoints.size() > 50) {
    out.warnings.push_back(at + " has " + std::to_string(pool.endpoints.size()) +
                           " endpoints with round_robin; consider the random strategy");
  }
  if (pool.recency_window && pool.strategy != "random") {
    out.warnings.push_back(at + ": recency_window has no effect with strategy " + pool.strategy);
  }
  return out;
}

std::string EndpointKey(const Endpoint& e) {
  std::string k = e.protocol + ":" + e.host + ":" + std::to_string(e.port);
  if (e.username && !e.username->empty()) k += ":" + *e.username;
  return k;
}

std::string PoolFingerprint(const Pool& pool) {
  std::string text;
  for (const Endpoint& e : pool.endpoints) text += EndpointKey(e) + "\n";
  return "sha256:" + Sha256Hex(text);
}

Endpoint Redacted(const Endpoint& e) {
  Endpoint r = e;
  r.password.reset();
  if (r.username && r.username->empty()) r.username.reset();
  return r;
}

std::string Describe(const Endpoint& e) {
  std::string d = e.protocol + "://" + e.host + ":" + std::to_string(e.port);
  if (e.username && !e.username->empty()) d += " (user " + *e.username + ")";
  return d;
}

StatusOr<std::vector<Pool>> ParsePoolsJson(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgumentError("proxy config: invalid JSON");
  if (!doc.is_array()) return InvalidArgumentError("proxy config: expected a JSON array of pools");
  std::vector<Pool> pools;
  for (size_t i = 0; i < doc.size(); ++i) {
    const nlohmann::json& p = doc[i];
    const std::string at = "proxy config: [" + std::to_string(i) + "]";
    if (!p.is_object()) return InvalidArgumentError(at + " must be an object");
    auto str = [&](const nlohmann::json& o, const char* key, const std::string& where,
                   std::string* out) -> Status {
      if (!o.contains(key) || o[key].is_null()) return Status::Ok();
      if (!o[key].is_string()) return InvalidArgumentError(where + "." + key + " must be a string");
      *out = o[key].get<std::string>();
      return Status::Ok();
    };
    auto integer = [&](const nlohmann::json& o, const char* key, const std::string& where,
                       std::optional<int64_t>* out) -> Status {
      if (!o.contains(key) || o[key].is_null()) return Status::Ok();
      if (!o[key].is_number_integer()) {
        return InvalidArgumentError(where + "." + key + " must be an integer");
      }
      *out = o[key].get<int64_t>();
      return Status::Ok();
    };
    Pool pool;
    QUARRY_RETURN_IF_ERROR(str(p, "name", at, &pool.name));
    QUARRY_RETURN_IF_ERROR(str(p, "strategy", at, &pool.strategy));
    QUARRY_RETURN_IF_ERROR(integer(p, "recency_window", at, &pool.recency_window));
    if (p.contains("endpoints") && !p["endpoints"].is_null()) {
      if (!p["endpoints"].is_array())
        return InvalidArgumentError(at + ".endpoints must be an array");
      for (size_t j = 0; j < p["endpoints"].size(); ++j) {
        const nlohmann::json& e = p["endpoints"][j];
        const std::string eat = at + ".endpoints[" + std::to_string(j) + "]";
        if (!e.is_object()) return InvalidArgumentError(eat + " must be an object");
        Endpoint ep;
        std::optional<int64_t> port;
        std::string user, pass;
        QUARRY_RETURN_IF_ERROR(str(e, "protocol", eat, &ep.protocol));
        QUARRY_RETURN_IF_ERROR(str(e, "host", eat, &ep.host));
        QUARRY_RETURN_IF_ERROR(integer(e, "port", eat, &port));
        QUARRY_RETURN_IF_ERROR(str(e, "username", eat, &user));
        QUARRY_RETURN_IF_ERROR(str(e, "password", eat, &pass));
        ep.port = port.value_or(0);
        if (!user.empty()) ep.username = user;
        if (!pass.empty()) ep.password = pass;
        pool.endpoints.push_back(std::move(ep));
      }
    }
    if (p.contains("sticky") && !p["sticky"].is_null()) {
      if (!p["sticky"].is_object()) return InvalidArgumentError(at + ".sticky must be an object");
      Sticky s;
      QUARRY_RETURN_IF_ERROR(str(p["sticky"], "scope", at + ".sticky", &s.scope));
      QUARRY_RETURN_IF_ERROR(integer(p["sticky"], "ttl_ms", at + ".sticky", &s.ttl_ms));
      pool.sticky = s;
    }
    pools.push_back(std::move(pool));
  }
  return pools;
}

}  // namespace quarry::proxy
