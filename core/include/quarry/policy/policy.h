// Ingestion policies (storage-and-policies.md §3): what happens to each accepted event and chunk
// between the IPC reader and the storage sink.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/duration.h"
#include "quarry/event.h"
#include "quarry/log.h"
#include "quarry/sink.h"
#include "quarry/status.h"

namespace quarry::policy {

struct FlushTriggers {
  uint64_t count = 0;
  uint64_t interval = 0;
  uint64_t termination = 0;
  uint64_t capacity = 0;
};

// Point-in-time counters (§3.3).
struct PolicyStats {
  uint64_t total_events = 0;
  uint64_t events_persisted = 0;
  uint64_t events_dropped = 0;
  std::map<std::string, uint64_t> dropped_by_type;
  uint64_t total_chunks = 0;
  uint64_t chunks_persisted = 0;
  uint64_t buffer_size = 0;
  uint64_t flush_count = 0;
  uint64_t errors = 0;
  std::optional<FlushTriggers> flush_triggers;  // streaming only
};

// The validated settings of §3.5.
struct PolicyConfig {
  std::string name = "strict";  // strict | buffered | streaming
  std::string flush_mode = "at_least_once";
  int64_t buffer_events = 0;
  int64_t buffer_bytes = 0;
  int64_t flush_count = 0;
  Duration flush_interval{0};
};

// Checks the config per §3.5. Appends "Warning: ..." lines for ignored settings to `warnings`.
Status ValidatePolicyConfig(const PolicyConfig& config, std::vector<std::string>* warnings);

// Thread-safety: IngestEvent/IngestChunk are called from the run's ingestion thread; Flush and
// Stats may be called from other threads (e.g. the progress line, an interval timer).
class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view Name() const = 0;
  // An error ends the run as policy_failure.
  virtual Status IngestEvent(Event event) = 0;
  virtual Status IngestChunk(Chunk chunk) = 0;
  // The runtime's single end-of-run flush (tagged `termination` for streaming).
  virtual Status Flush() = 0;
  // Releases resources; buffering policies make one more best-effort flush first.
  virtual Status Close() = 0;
  virtual PolicyStats Stats() const = 0;
};

// `sink` (and `log_ctx`, when given) must outlive the policy. `log_ctx` tags the policy's log
// lines (drops, flush failures) with the run; null logs without run fields.
StatusOr<std::unique_ptr<Policy>> NewPolicy(const PolicyConfig& config, BatchSink* sink,
                                            const log::RunContext* log_ctx = nullptr);
std::unique_ptr<Policy> NewStrictPolicy(BatchSink* sink);
// The config must have passed ValidatePolicyConfig for the policy's name.
std::unique_ptr<Policy> NewBufferedPolicy(const PolicyConfig& config, BatchSink* sink,
                                          const log::RunContext* log_ctx = nullptr);
// Starts the interval timer thread when flush_interval > 0; Close() (or destruction) stops it.
std::unique_ptr<Policy> NewStreamingPolicy(const PolicyConfig& config, BatchSink* sink,
                                           const log::RunContext* log_ctx = nullptr);

// streaming's internal caps (§3.7): reaching either blocks admission until a flush makes room.
inline constexpr uint64_t kStreamingMaxItems = 50'000;
inline constexpr uint64_t kStreamingMaxBytes = 134'217'728;

}  // namespace quarry::policy
