// Writes one run's records into a Lode v1 dataset (storage-and-policies.md §4).
//
// Each WriteEvents / WriteChunks / WriteMetrics call becomes one snapshot (or part of one
// coalesced snapshot): data files per touched partition, then the pointer compare-and-swap, then
// the canonical manifest and one copy per partition. A run has one writer; its writes may come from
// several threads but are committed one at a time, in the order they take the writer's write lock.
// Different RunWriters may be used from different threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/event.h"
#include "quarry/lode/store.h"
#include "quarry/sink.h"
#include "quarry/status.h"

namespace quarry::lode {

// Link of a fan-out child to the run that enqueued it (Decision D5). Stored in the run
// descriptor and on the metrics record as `enqueued_by_run_id`, `enqueued_by_event_id`,
// `fanout_depth`.
struct FanoutLink {
  std::string enqueued_by_run_id;
  std::string enqueued_by_event_id;
  int64_t depth = 0;
};

// What every record and manifest of the run says about it (§4.9, §4.13).
struct RunDescriptor {
  std::string dataset = "quarry";
  std::string run_id;
  int64_t attempt = 1;
  std::optional<std::string> job_id;
  std::optional<std::string> parent_run_id;
  std::string source;
  std::string category = "default";
  std::string day;         // YYYY-MM-DD, UTC date of the run start
  std::string policy;      // strict | buffered | streaming
  std::string executor;    // base name of the executor file
  std::string started_at;  // RFC 3339 UTC with milliseconds
  std::optional<FanoutLink> fanout;
};

struct SidecarRef {
  std::string path;
  std::string filename;
  std::string content_type;
  uint64_t size = 0;
};

// Knobs with production defaults; tests pin the clock and shorten the waits.
struct WriterOptions {
  // Wall clock in Unix nanoseconds: snapshot ids and manifest `created_at`. Empty = the system
  // clock. With coalescing, the first queued write's clock serves the whole snapshot.
  std::function<int64_t()> now_unix_ns;
  // How long pointer conflicts and failed manifest puts are retried from the first commit
  // attempt (§4.7).
  std::chrono::milliseconds commit_deadline{60000};
  // A pointer naming a snapshot without a manifest is usually another process between its CAS
  // and its manifest put; it counts as stale (scan fallback, §4.7) only after this long.
  std::chrono::milliseconds stale_pointer_grace{1000};
};

class RunWriter : public BatchSink {
 public:
  RunWriter(std::shared_ptr<Store> store, RunDescriptor run, WriterOptions options = {});
  ~RunWriter() override;

  // Events are stored as `event` records, `artifact` events as `artifact_event` records. Fails
  // before writing anything when a record cannot be encoded (NaN -> message naming seq and
  // field path; a line over 10 MiB -> "event seq <n> (<type>) encodes to <N> bytes; stored lines
  // are limited to 10485760 bytes") or when an artifact commit has no prior chunk write (§4.10).
  Status WriteEvents(std::span<const Event> events) override;
  // The encoding checks of WriteEvents for one event (NaN, line limit, partition values), without
  // writing: lets a policy that holds events until later refuse an unstorable one when it is
  // ingested (§4.8). The chunks-before-commit rule is not checked: such a policy writes the
  // chunks later.
  Status CheckEvent(const Event& event) const override;
  // Chunks are stored as `artifact_chunk` records, split into pieces of <= 6 MiB (§4.9).
  Status WriteChunks(std::span<const Chunk> chunks) override;
  // Sidecar file + .meta.json, exclusive create (§4.12); queues its reference for the next
  // successful event or metrics snapshot. Returns the store-relative path.
  StatusOr<std::string> PutSidecar(std::string_view filename, std::string_view content_type,
                                   std::string_view data);
  // The run's metrics record: `fields_json` is a complete canonical JSON object line (no LF)
  // already containing every key of §4.9.
  Status WriteMetrics(std::string_view fields_json);

  // Commit retries after pointer conflicts so far (lode_write_retry_total, D11.9).
  uint64_t retries() const;
  const RunDescriptor& run() const { return run_; }

 private:
  class Impl;
  RunDescriptor run_;
  std::unique_ptr<Impl> impl_;
};

// Percent-escaping of Hive partition values (§4.4).
std::string EscapePartitionValue(std::string_view value);
// "datasets/<ds>/partitions/source=../category=../day=../run_id=../files/<filename>" (§8.3, D11.11)
std::string SidecarPath(const RunDescriptor& run, std::string_view filename);

}  // namespace quarry::lode
