// Event sinks (cli-and-integrations.md §8.5, storage-and-policies.md §3.10): where a run's events
// go besides (or instead of) Lode. Artifact chunks, sidecar files and metrics always go to Lode.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
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
  // false: retries follow each other at once instead of after 500 ms x 2^(i-1). Set for a
  // best_effort sink, whose circuit breaker probes take the place of waiting
  // (docs/integrations.md).
  bool backoff = true;
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

// The circuit breaker of best_effort sinks (docs/integrations.md "Best-effort sinks that are
// down"): after a failed delivery the sink is skipped until a probe, first after `first_probe`,
// then at doubling intervals up to `max_probe`.
struct BreakerOptions {
  std::chrono::milliseconds first_probe{1000};
  std::chrono::milliseconds max_probe{30000};
  // Empty = std::chrono::steady_clock::now (tests pass a clock they move).
  std::function<std::chrono::steady_clock::time_point()> now;
};

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
//
// With several sinks a batch can succeed on some and fail on others. Each sink remembers the
// highest event seq it has been given (a run's seqs only grow, and policies resend a failed batch
// in order), so a batch written again after a failure reaches only the sinks that still lack it:
// no sink stores an event twice. A best_effort sink is offered each event once; what it did not
// store is counted as dropped for it. Best-effort sinks sit behind a circuit breaker.
class FanOutSink final : public BatchSink {
 public:
  struct Entry {
    std::string label;
    Delivery delivery = Delivery::kMandatory;
    BatchSink* sink = nullptr;         // not owned (the Lode sink)
    std::unique_ptr<EventSink> owned;  // or owned (redis)
  };
  // What one sink did with the events it was offered.
  struct SinkCounts {
    std::string label;
    uint64_t stored = 0;   // events it stored
    uint64_t dropped = 0;  // best_effort only: events it failed or skipped (breaker open)
  };

  FanOutSink(BatchSink* lode, std::vector<Entry> entries, const log::RunContext* log_ctx,
             BreakerOptions breaker = {});
  ~FanOutSink() override;

  Status WriteEvents(std::span<const Event> events) override;
  Status WriteChunks(std::span<const Chunk> chunks) override;
  // Every mandatory sink must be able to store the event.
  Status CheckEvent(const Event& event) const override;
  // Closes every owned sink; returns the first error.
  Status Close();

  // Events stored by at least one sink: the run's events_persisted (docs/decisions.md).
  uint64_t events_stored() const;
  // Per sink, in the configured order.
  std::vector<SinkCounts> counts() const;

 private:
  struct State;
  // Delivers `events` to entry `i`; `*stored` tells whether that sink now holds them.
  Status Deliver(size_t i, std::span<const Event> events, bool* stored);
  Status DeliverBestEffort(size_t i, std::span<const Event> events, bool* stored);
  BatchSink* lode_;
  std::vector<Entry> entries_;
  std::vector<std::unique_ptr<State>> state_;
  const log::RunContext* log_ctx_;
  std::atomic<uint64_t> events_stored_{0};
  int64_t stored_through_;  // events with seq <= this are counted in events_stored_
};

// Builds the fan-out for `configs` (empty = implicit mandatory Lode). Fails when a sink cannot be
// constructed (e.g. an invalid Redis URL).
StatusOr<std::unique_ptr<FanOutSink>> NewFanOutSink(BatchSink* lode,
                                                    const std::vector<SinkConfig>& configs,
                                                    const RunLabels& labels,
                                                    const log::RunContext* log_ctx,
                                                    BreakerOptions breaker = {});

}  // namespace quarry::sinks
