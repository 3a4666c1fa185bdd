// The YAML config file of `quarry run --config` (cli-and-integrations.md §7): environment
// expansion on the raw text, then a strict parse that rejects unknown keys at every level.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "quarry/duration.h"
#include "quarry/proxy/pool.h"
#include "quarry/status.h"

namespace quarry::cli {

struct ConfigSink {
  std::string type, delivery, url, stream_key;
  std::optional<int64_t> max_len;
  std::optional<Duration> ttl, timeout;
  std::optional<int64_t> retries;
};

// Every key of §7.4. Scalars are "zero" when absent (precedence counts only non-zero values);
// nullable ones are optionals.
struct ConfigFile {
  std::string source, category, executor, browser_ws_endpoint, resolve_from;
  bool no_browser_reuse = false;
  // Idle timeout of a browser server this run starts, whole seconds; 0 = not set (an addition to
  // §7.4: docs/decisions.md, "Browser server idle timeout").
  int browser_idle_timeout_s = 0;
  Duration timeout{0};
  struct {
    std::string dataset, backend, path, region, endpoint, sync;
    bool s3_path_style = false;
  } storage;
  struct {
    std::string name, flush_mode;
    int64_t buffer_events = 0, buffer_bytes = 0, flush_count = 0;
    Duration flush_interval{0};
  } policy;
  std::vector<proxy::Pool> proxies;  // sorted by name
  struct {
    std::string pool, strategy;
    // Endpoint health (docs/proxies.md): consecutive failures that bench an endpoint, and for
    // how long. Additions to §7.4.
    std::optional<int64_t> bench_after;
    std::optional<Duration> bench_for;
  } proxy;
  struct {
    std::string type, url, channel;
    std::map<std::string, std::string> headers;
    Duration timeout{0};
    std::optional<int64_t> retries;
  } adapter;
  std::vector<ConfigSink> sinks;
  bool has_sinks = false;
};

// ${NAME} and ${NAME:-default}; set-but-empty counts as unset; unset without default -> "".
std::string ExpandEnvironment(const std::string& text);

// Errors: "config file not found: <path>", "invalid YAML in <path>: ...",
// "unknown key \"x\" in <path> (at storage)", "invalid duration \"..\": ...".
StatusOr<ConfigFile> LoadConfigFile(const std::string& path);

}  // namespace quarry::cli
