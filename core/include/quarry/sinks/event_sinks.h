// Event sinks (cli-and-integrations.md §8.5, storage-and-policies.md §3.10): where a run's events
// go besides (or instead of) Lode. Artifact chunks, sidecar files and metrics always go to Lode.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/duration.h"
#include "quarry/event.h"
#include "quarry/log.h"
#include "quarry/sink.h"
#include "quarry/status.h"

namespace quarry::sinks {

enum class Delivery { kMandatory, kBestEffort };

// "mandatory" (also "") or "best_effort"; anything else is an error naming the value.
StatusOr<Delivery> ParseDelivery(std::string_view text);
std::string_view DeliveryName(Delivery d);

inline constexpr std::string_view kDefaultStreamKey = "quarry:events";
inline constexpr int64_t kDefaultMaxLen = 100'000;
inline constexpr Duration kDefaultTtl = std::chrono::hours(24);
inline constexpr Duration kDefaultRedisTimeout = std::chrono::seconds(2);
inline constexpr int64_t kDefaultRedisRetries = 2;

// The Redis Streams sink's settings, defaults applied.
struct RedisSinkConfig {
  std::string url;  // redis://[user:pass@]host[:port][/db]
  std::string stream_key{kDefaultStreamKey};
  int64_t max_len = kDefaultMaxLen;  // <= 0: no trimming
  Duration ttl = kDefaultTtl;        // < 0: no EXPIRE
  Duration timeout = kDefaultRedisTimeout;
  int64_t retries = kDefaultRedisRetries;
};

// One configured sink: type "lode" or "redis".
struct SinkConfig {
  std::string type;
  Delivery delivery = Delivery::kMandatory;
  RedisSinkConfig redis;  // type == "redis" only
};

// A parsed redis:// URL.
struct RedisUrl {
  std::string host = "localhost";
  int port = 6379;
  std::string username, password;
  int64_t db = 0;
};
// Errors never contain the password (the URL is redacted).
StatusOr<RedisUrl> ParseRedisUrl(const std::string& url);

// The fields of one stream entry (§8.5), in the order written.
struct RunLabels {
  std::string run_id, source, category;
};
StatusOr<std::vector<std::pair<std::string, std::string>>> StreamEntryFields(
    const Event& event, const RunLabels& labels);

// A sink whose construction can fail (invalid URL) and that can be closed.
class EventSink : public BatchSink {
 public:
  Status WriteChunks(std::span<const Chunk>) override {
    return InternalError("event sinks take no chunks");
  }
  virtual Status Close() { return Status::Ok(); }
};

// The Redis Streams sink (hiredis). The URL is checked here; the connection is made at the first
// write (each attempt reconnects after an error).
StatusOr<std::unique_ptr<EventSink>> NewRedisStreamSink(const RedisSinkConfig& config,
                                                        RunLabels labels);

// Routes the policy's writes: chunks to `lode`; events to every configured sink, concurrently when
// there are several, with per-sink delivery modes. `lode` must outlive the fan-out. An empty
// `configs` list means the implicit mandatory Lode sink.
class FanOutSink final : public BatchSink {
 public:
  struct Entry {
    std::string label;
    Delivery delivery = Delivery::kMandatory;
    BatchSink* sink = nullptr;         // not owned (the Lode sink)
    std::unique_ptr<EventSink> owned;  // or owned (redis)
  };
  FanOutSink(BatchSink* lode, std::vector<Entry> entries, const log::RunContext* log_ctx);
  ~FanOutSink() override;

  Status WriteEvents(std::span<const Event> events) override;
  Status WriteChunks(std::span<const Chunk> chunks) override;
  Status CheckEvent(const Event& event) const override;
  // Closes every owned sink; returns the first error.
  Status Close();

 private:
  Status Call(Entry& e, std::span<const Event> events);
  BatchSink* lode_;
  std::vector<Entry> entries_;
  bool lode_mandatory_ = false;
  const log::RunContext* log_ctx_;
};

// Builds the fan-out for `configs` (empty = implicit mandatory Lode). Fails when a sink cannot be
// constructed (e.g. an invalid Redis URL).
StatusOr<std::unique_ptr<FanOutSink>> NewFanOutSink(BatchSink* lode,
                                                    const std::vector<SinkConfig>& configs,
                                                    const RunLabels& labels,
                                                    const log::RunContext* log_ctx);

}  // namespace quarry::sinks
