#include "config_file.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "quarry/browser/reuse.h"

namespace quarry::cli {
namespace {

// Parse errors travel as exceptions inside this file only; LoadConfigFile turns them into a
// Status.
struct ConfigError {
  std::string message;
};

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  void CheckKeys(const YAML::Node& node, const std::string& where,
                 std::initializer_list<const char*> allowed) const {
    if (!node || node.IsNull()) return;
    if (!node.IsMap()) throw ConfigError{where + " must be a mapping"};
    std::set<std::string> ok(allowed.begin(), allowed.end());
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      if (!ok.count(key)) {
        throw ConfigError{"unknown key \"" + key + "\" in " + path_ +
                          (where.empty() ? "" : " (at " + where + ")")};
      }
    }
  }

  std::string Str(const YAML::Node& n, const std::string& where) const {
    if (!n || n.IsNull()) return "";
    if (!n.IsScalar()) throw ConfigError{where + " must be a string"};
    return n.as<std::string>();
  }

  template <typename T>
  std::optional<T> Opt(const YAML::Node& n, const std::string& where, const char* type) const {
    if (!n || n.IsNull()) return std::nullopt;
    try {
      return n.as<T>();
    } catch (const YAML::Exception&) {
      throw ConfigError{where + " must be " + type};
    }
  }

  int64_t Int(const YAML::Node& n, const std::string& where) const {
    return Opt<int64_t>(n, where, "an integer").value_or(0);
  }
  bool Bool(const YAML::Node& n, const std::string& where) const {
    return Opt<bool>(n, where, "true or false").value_or(false);
  }
  Duration Dur(const YAML::Node& n, const std::string& where) const {
    std::string s = Str(n, where);
    if (s.empty()) return Duration(0);
    auto d = ParseDuration(s);
    if (!d.ok()) throw ConfigError{d.status().message()};
    return *d;
  }
  std::optional<Duration> OptDur(const YAML::Node& n, const std::string& where) const {
    std::string s = Str(n, where);
    if (s.empty()) return std::nullopt;
    // "-1" is the documented way to disable a TTL (D11.23) and is not in the duration grammar.
    if (s == "-1") return Duration(-1);
    auto d = ParseDuration(s);
    if (!d.ok()) throw ConfigError{d.status().message()};
    return *d;
  }

 private:
  std::string path_;
};

ConfigFile Parse(const YAML::Node& root, const Reader& r) {
  ConfigFile c;
  if (!root || root.IsNull()) return c;
  r.CheckKeys(root, "",
              {"source", "category", "executor", "browser_ws_endpoint", "no_browser_reuse",
               "browser_idle_timeout", "resolve_from", "timeout", "storage", "policy", "proxies",
               "proxy", "adapter", "events"});
  c.source = r.Str(root["source"], "source");
  c.category = r.Str(root["category"], "category");
  c.executor = r.Str(root["executor"], "executor");
  c.browser_ws_endpoint = r.Str(root["browser_ws_endpoint"], "browser_ws_endpoint");
  c.no_browser_reuse = r.Bool(root["no_browser_reuse"], "no_browser_reuse");
  if (std::string idle = r.Str(root["browser_idle_timeout"], "browser_idle_timeout");
      !idle.empty()) {
    auto seconds = browser::ParseIdleTimeout(idle, "browser_idle_timeout");
    if (!seconds.ok()) throw ConfigError{seconds.status().message()};
    c.browser_idle_timeout_s = *seconds;
  }
  c.resolve_from = r.Str(root["resolve_from"], "resolve_from");
  c.timeout = r.Dur(root["timeout"], "timeout");

  if (YAML::Node s = root["storage"]) {
    r.CheckKeys(s, "storage",
                {"dataset", "backend", "path", "region", "endpoint", "s3_path_style", "sync"});
    c.storage.dataset = r.Str(s["dataset"], "storage.dataset");
    c.storage.backend = r.Str(s["backend"], "storage.backend");
    c.storage.path = r.Str(s["path"], "storage.path");
    c.storage.sync = r.Str(s["sync"], "storage.sync");
    c.storage.region = r.Str(s["region"], "storage.region");
    c.storage.endpoint = r.Str(s["endpoint"], "storage.endpoint");
    c.storage.s3_path_style = r.Bool(s["s3_path_style"], "storage.s3_path_style");
  }
  if (YAML::Node p = root["policy"]) {
    r.CheckKeys(
        p, "policy",
        {"name", "flush_mode", "buffer_events", "buffer_bytes", "flush_count", "flush_interval"});
    c.policy.name = r.Str(p["name"], "policy.name");
    c.policy.flush_mode = r.Str(p["flush_mode"], "policy.flush_mode");
    c.policy.buffer_events = r.Int(p["buffer_events"], "policy.buffer_events");
    c.policy.buffer_bytes = r.Int(p["buffer_bytes"], "policy.buffer_bytes");
    c.policy.flush_count = r.Int(p["flush_count"], "policy.flush_count");
    c.policy.flush_interval = r.Dur(p["flush_interval"], "policy.flush_interval");
  }
  if (YAML::Node pools = root["proxies"]; pools && !pools.IsNull()) {
    if (!pools.IsMap()) throw ConfigError{"proxies must be a mapping of pool name to pool"};
    for (const auto& kv : pools) {
      std::string name = kv.first.as<std::string>();
      std::string at = "proxies." + name;
      YAML::Node pool = kv.second;
      r.CheckKeys(pool, at, {"strategy", "endpoints", "sticky", "recency_window"});
      proxy::Pool out;
      out.name = name;
      out.strategy = r.Str(pool["strategy"], at + ".strategy");
      if (YAML::Node eps = pool["endpoints"]; eps && !eps.IsNull()) {
        if (!eps.IsSequence()) throw ConfigError{at + ".endpoints must be a list"};
        for (size_t i = 0; i < eps.size(); ++i) {
          std::string eat = at + ".endpoints[" + std::to_string(i) + "]";
          r.CheckKeys(eps[i], eat, {"protocol", "host", "port", "username", "password"});
          proxy::Endpoint e;
          e.protocol = r.Str(eps[i]["protocol"], eat + ".protocol");
          e.host = r.Str(eps[i]["host"], eat + ".host");
          e.port = r.Int(eps[i]["port"], eat + ".port");
          if (eps[i]["username"]) e.username = r.Str(eps[i]["username"], eat + ".username");
          if (eps[i]["password"]) e.password = r.Str(eps[i]["password"], eat + ".password");
          out.endpoints.push_back(std::move(e));
        }
      }
      if (YAML::Node st = pool["sticky"]) {
        r.CheckKeys(st, at + ".sticky", {"scope", "ttl_ms"});
        out.sticky =
            proxy::Sticky{r.Str(st["scope"], at + ".sticky.scope"),
                          r.Opt<int64_t>(st["ttl_ms"], at + ".sticky.ttl_ms", "an integer")};
      }
      out.recency_window =
          r.Opt<int64_t>(pool["recency_window"], at + ".recency_window", "an integer");
      c.proxies.push_back(std::move(out));
    }
    std::sort(c.proxies.begin(), c.proxies.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
  }
  if (YAML::Node p = root["proxy"]) {
    r.CheckKeys(p, "proxy", {"pool", "strategy", "bench_after", "bench_for"});
    c.proxy.pool = r.Str(p["pool"], "proxy.pool");
    c.proxy.strategy = r.Str(p["strategy"], "proxy.strategy");
    c.proxy.bench_after = r.Opt<int64_t>(p["bench_after"], "proxy.bench_after", "an integer");
    c.proxy.bench_for = r.OptDur(p["bench_for"], "proxy.bench_for");
  }
  if (YAML::Node a = root["adapter"]) {
    r.CheckKeys(a, "adapter", {"type", "url", "channel", "headers", "timeout", "retries"});
    c.adapter.type = r.Str(a["type"], "adapter.type");
    c.adapter.url = r.Str(a["url"], "adapter.url");
    c.adapter.channel = r.Str(a["channel"], "adapter.channel");
    if (YAML::Node h = a["headers"]; h && !h.IsNull()) {
      if (!h.IsMap()) throw ConfigError{"adapter.headers must be a mapping"};
      for (const auto& kv : h) {
        c.adapter.headers[kv.first.as<std::string>()] = r.Str(kv.second, "adapter.headers");
      }
    }
    c.adapter.timeout = r.Dur(a["timeout"], "adapter.timeout");
    c.adapter.retries = r.Opt<int64_t>(a["retries"], "adapter.retries", "an integer");
  }
  if (YAML::Node e = root["events"]) {
    r.CheckKeys(e, "events", {"sinks"});
    if (YAML::Node sinks = e["sinks"]; sinks && !sinks.IsNull()) {
      if (!sinks.IsSequence()) throw ConfigError{"events.sinks must be a list"};
      c.has_sinks = true;
      for (size_t i = 0; i < sinks.size(); ++i) {
        std::string at = "events.sinks[" + std::to_string(i) + "]";
        r.CheckKeys(
            sinks[i], at,
            {"type", "delivery", "url", "stream_key", "max_len", "ttl", "timeout", "retries"});
        ConfigSink s;
        s.type = r.Str(sinks[i]["type"], at + ".type");
        s.delivery = r.Str(sinks[i]["delivery"], at + ".delivery");
        s.url = r.Str(sinks[i]["url"], at + ".url");
        s.stream_key = r.Str(sinks[i]["stream_key"], at + ".stream_key");
        s.max_len = r.Opt<int64_t>(sinks[i]["max_len"], at + ".max_len", "an integer");
        s.ttl = r.OptDur(sinks[i]["ttl"], at + ".ttl");
        s.timeout = r.OptDur(sinks[i]["timeout"], at + ".timeout");
        s.retries = r.Opt<int64_t>(sinks[i]["retries"], at + ".retries", "an integer");
        c.sinks.push_back(std::move(s));
      }
    }
  }
  return c;
}

}  // namespace

std::string ExpandEnvironment(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 2 < text.size() && text[i + 1] == '{' && IsNameStart(text[i + 2])) {
      size_t j = i + 2;
      while (j < text.size() && IsNameChar(text[j])) ++j;
      std::string name = text.substr(i + 2, j - (i + 2));
      if (j < text.size() && text[j] == '}') {
        const char* v = std::getenv(name.c_str());
        out += (v != nullptr) ? v : "";
        i = j + 1;
        continue;
      }
      if (text.compare(j, 2, ":-") == 0) {
        size_t close = text.find('}', j + 2);
        if (close != std::string::npos) {
          const char* v = std::getenv(name.c_str());
          out += (v != nullptr && *v != '\0') ? std::string(v) : text.substr(j + 2, close - j - 2);
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

StatusOr<ConfigFile> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("config file not found: " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IOError("cannot read config file " + path);
  YAML::Node root;
  try {
    root = YAML::Load(ExpandEnvironment(ss.str()));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp bounds its recursion (so no crash) but words the error "bad file".
    return InvalidArgumentError("invalid YAML in " + path + ": nested too deeply at line " +
                                std::to_string(e.mark.line + 1) + ", column " +
                                std::to_string(e.mark.column + 1));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("invalid YAML in " + path + ": " + e.what());
  }
  try {
    return Parse(root, Reader(path));
  } catch (const ConfigError& e) {
    return InvalidArgumentError(e.message);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("invalid YAML in " + path + ": " + e.what());
  }
}

}  // namespace quarry::cli
