// Notification adapters (cli-and-integrations.md §8.2–§8.4): one `run_completed` message per root
// run, after the metrics record and before the report. Best effort: failures are warnings.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "quarry/duration.h"
#include "quarry/status.h"

namespace quarry::adapters {

inline constexpr Duration kDefaultAdapterTimeout = std::chrono::seconds(10);
inline constexpr int64_t kDefaultAdapterRetries = 3;
inline constexpr std::string_view kDefaultChannel = "quarry:run_completed";

// Validated adapter settings (type "webhook" or "redis").
struct AdapterConfig {
  std::string type;
  std::string url;
  // Custom webhook headers in application order (config first, then flags); a later entry with
  // the same canonical name replaces the earlier one.
  std::vector<std::pair<std::string, std::string>> headers;
  Duration timeout = kDefaultAdapterTimeout;  // <= 0: the default
  int64_t retries = kDefaultAdapterRetries;
  std::string channel;  // redis; empty: quarry:run_completed
};

// `x-api-key` -> `X-Api-Key` (Go's textproto canonical form).
std::string CanonicalHeaderName(std::string_view name);

// The §8.2 payload.
struct RunCompleted {
  std::string run_id, source, category, day, outcome, storage_path, timestamp;
  std::optional<std::string> job_id;
  int64_t attempt = 1;
  int64_t event_count = 0;
  int64_t duration_ms = 0;
};
// Compact JSON, keys in the order of §8.2; job_id omitted when empty.
std::string RunCompletedJson(const RunCompleted& n);

// "file://<abs root>/datasets/<ds>/partitions/source=../category=../day=../run_id=..", or
// "s3://bucket[/prefix]/datasets/..." when the root is an s3:// URL.
std::string FsStoragePath(const std::string& abs_root, const std::string& dataset,
                          const std::string& source, const std::string& category,
                          const std::string& day, const std::string& run_id);

class Adapter {
 public:
  virtual ~Adapter() = default;
  // Sends `json` with the adapter's retries; the whole call is limited by the adapter timeout.
  virtual Status Publish(const std::string& json) = 0;
  // Where it publishes, safe to print and store: the redacted URL (and channel for redis).
  virtual std::string Target() const = 0;
};

// Builds the adapter (e.g. parses the Redis URL): "webhook" or "redis".
StatusOr<std::unique_ptr<Adapter>> NewAdapter(const AdapterConfig& config);

}  // namespace quarry::adapters
