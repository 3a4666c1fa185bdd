// Scanning a Lode v1 dataset for the read-only commands (storage-and-policies.md §6.1): list the
// canonical manifests, load each one (or its cached digest), order the snapshots by `created_at`,
// and read the few data files whose records the read model needs (metrics, enqueue, and every
// record of a snapshot written by the original Go Quarry, which carries no run descriptor).
//
// Reads committed snapshots only: a data file is read only when a manifest lists it. Never writes
// to the store (a stale `latest` is not repaired; the pointer is not even read).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "quarry/lode/reader.h"
#include "quarry/lode/run_writer.h"
#include "quarry/lode/store.h"
#include "quarry/status.h"

namespace quarry::read {

// One run a snapshot touched, with what the snapshot says about it: the §4.13 descriptor, or for
// a snapshot without `metadata.quarry_runs`, what its records say.
struct RunRef {
  std::string run_id;
  int64_t attempt = 1;
  std::optional<std::string> job_id;
  std::optional<std::string> parent_run_id;
  std::string source, category, day, policy;
  std::string executor;    // "" when the snapshot does not say (original's event snapshots)
  std::string started_at;  // descriptor; for derived refs the earliest record `ts` seen here
  std::optional<lode::FanoutLink> fanout;
  bool derived = false;  // true: read from records (a dataset written by the original)
  // Derived refs only: the terminal event the snapshot holds (`run_complete` / `run_error`) and
  // its payload `message`, to infer an original run's outcome (§4.14).
  std::string terminal_type, terminal_message;
};

// What the read model needs of one snapshot. Snapshots are immutable, so a digest is cached by
// snapshot id and never invalidated.
struct SnapshotDigest {
  std::string snapshot_id;
  std::string created_at;
  int64_t created_at_ns = 0;  // parsed `created_at`, the order of snapshots (§4.7, §6.1 step 3)
  std::optional<std::string> parent_snapshot_id;
  uint64_t row_count = 0;
  std::string codec, compressor;
  std::vector<lode::ManifestFileRef> files;  // data files, as listed (sorted by path)
  std::vector<RunRef> runs;
  std::vector<lode::SidecarRef> sidecars;  // metadata.sidecar_files
  std::vector<nlohmann::json> metrics;     // records of its event_type=metrics data files
  std::vector<nlohmann::json> enqueues;    // records of its event_type=enqueue data files
};

// Store calls and cache use of one scan (docs/benchmarks.md counts "objects read" with these).
struct ScanStats {
  uint64_t list_calls = 0;
  uint64_t manifests_listed = 0;
  uint64_t manifest_reads = 0;  // manifests read from the store (cache misses)
  uint64_t data_reads = 0;      // data files read from the store
  uint64_t cache_hits = 0;      // digests taken from the cache
  uint64_t ObjectsRead() const { return manifest_reads + data_reads; }
};

class DigestCache;

struct ScanOptions {
  DigestCache* cache = nullptr;  // not owned; nullptr = no cache
  // Called from the scanning thread(s) with (snapshots done, snapshots listed); at most every
  // few milliseconds.
  std::function<void(size_t, size_t)> progress;
  // Checked between store calls; when it becomes true the scan ends with kCancelled.
  const std::atomic<bool>* cancelled = nullptr;
  // Manifests and data files loaded concurrently (helps on S3, where each call is a round trip).
  int parallelism = 4;
};

struct Scan {
  std::string dataset;
  std::vector<SnapshotDigest> snapshots;  // by created_at, ties by snapshot id
  ScanStats stats;
};

// Digest of one manifest; reads the data files the digest needs (metrics, enqueue, and all of a
// snapshot without run descriptors). Adds its store calls to `stats`.
StatusOr<SnapshotDigest> DigestSnapshot(lode::Store& store, const lode::Manifest& manifest,
                                        ScanStats* stats);

// The whole dataset. An empty or missing dataset is an empty scan, not an error.
StatusOr<Scan> ScanDataset(lode::Store& store, std::string_view dataset,
                           const ScanOptions& options = {});

// RFC 3339 (any offset, any fraction) -> Unix nanoseconds; nullopt when unparsable.
std::optional<int64_t> ParseRfc3339Nanos(std::string_view text);

}  // namespace quarry::read
