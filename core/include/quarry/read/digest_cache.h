// A local cache of snapshot digests (storage-and-policies.md §6.1 step 2, §6.9), so repeated read
// commands read each manifest, and the metrics/enqueue records it points to, once.
//
// Where: <dir>/digests-v1/<hex key>.jsonl, one file per (backend, store root, dataset), the key a
// 64-bit FNV-1a hash of those three (the file's first line names them, and a
// file naming anything else is ignored). Never inside the dataset: read commands do not write to
// it. The default dir is $QUARRY_CACHE_DIR, else $XDG_CACHE_HOME/quarry, else $HOME/.cache/quarry;
// QUARRY_CACHE_DIR=off disables the cache (docs/reading.md).
//
// One JSON line per digest, appended with O_APPEND (concurrent readers may append the same digest
// twice; lines that do not parse are ignored, so a torn line only costs a re-read). Snapshots are
// immutable and their ids unique in a dataset, so entries are never invalidated.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "quarry/lode/store.h"
#include "quarry/read/scan.h"
#include "quarry/status.h"

namespace quarry::read {

// The default cache directory (see above); nullopt when disabled or no home is known.
std::optional<std::filesystem::path> DefaultCacheDir();

class DigestCache {
 public:
  // Loads the cache file of this store and dataset under `dir` (created when missing). Failing
  // to create or read it is not an error for a read command: the caller goes on without a cache.
  static StatusOr<std::unique_ptr<DigestCache>> Open(const std::filesystem::path& dir,
                                                     const lode::Store& store,
                                                     std::string_view dataset);
  ~DigestCache();

  // Thread-safe. The first call waits until the file is loaded (Open starts loading it in the
  // background, so that it overlaps with the listing of the store).
  std::optional<SnapshotDigest> Find(std::string_view snapshot_id) const;
  // Like Find, but moves the digest out (a scan uses each digest once).
  std::optional<SnapshotDigest> Take(std::string_view snapshot_id);
  // Appends (best effort: a failed write only means the next command reads the store again).
  void Add(const SnapshotDigest& digest);

  const std::filesystem::path& file() const { return file_; }
  size_t size() const;

 private:
  DigestCache() = default;
  void Load(std::ifstream in);
  void WaitLoaded() const;
  std::filesystem::path file_;
  int fd_ = -1;
  std::thread loader_;
  mutable std::mutex mu_;
  mutable std::condition_variable loaded_cv_;
  bool loaded_ = false;
  std::map<std::string, SnapshotDigest, std::less<>> entries_;
};

// Digest <-> one compact JSON object (the cache's line format).
std::string DigestToJson(const SnapshotDigest& digest);
StatusOr<SnapshotDigest> DigestFromJson(std::string_view line);

}  // namespace quarry::read
