// Object store abstraction under the Lode writer: a filesystem tree, S3, or memory (tests).
//
// Paths are store-relative, '/'-separated, never empty, absolute or escaping the root.
// Thread-safe: one Store may be shared by every run of a process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/status.h"

namespace quarry::lode {

class Store {
 public:
  virtual ~Store() = default;

  // Exclusive create. An existing path -> AlreadyExists("... path already exists").
  virtual Status Put(std::string_view path, std::string_view data) = 0;
  // NotFound when absent.
  virtual StatusOr<std::string> Get(std::string_view path) = 0;
  // Bytes [offset, offset + length) of the object, fewer at its end, "" past it.
  virtual StatusOr<std::string> GetRange(std::string_view path, uint64_t offset, uint64_t length) {
    StatusOr<std::string> all = Get(path);
    if (!all.ok() || offset >= all->size()) return all.ok() ? std::string() : all;
    return all->substr(offset, length);
  }
  virtual StatusOr<bool> Exists(std::string_view path) = 0;
  // Every key under `prefix` (a directory-like prefix ending in '/'), sorted, store-relative.
  virtual StatusOr<std::vector<std::string>> List(std::string_view prefix) = 0;
  virtual Status Delete(std::string_view path) = 0;
  // Replaces the content of `path` iff it currently equals `expected` ("" = must be absent).
  // A mismatch -> FailedPrecondition("snapshot conflict: another writer committed").
  virtual Status CompareAndSwap(std::string_view path, std::string_view expected,
                                std::string_view replacement) = 0;

  // Deferred writes: like Put and CompareAndSwap (visible to readers when they return), but only
  // durable after the next Sync(), so a commit can make all of its objects durable with one
  // barrier instead of one per object. Stores whose writes are durable on return (S3, memory)
  // keep these defaults.
  virtual Status PutDeferred(std::string_view path, std::string_view data) {
    return Put(path, data);
  }
  virtual Status CompareAndSwapDeferred(std::string_view path, std::string_view expected,
                                        std::string_view replacement) {
    return CompareAndSwap(path, expected, replacement);
  }
  // Every write of this store that returned before the call is durable when it returns Ok.
  virtual Status Sync() { return Status::Ok(); }

  // "fs", "s3" or "mem": the storage_backend metrics dimension.
  virtual std::string_view Backend() const = 0;
  // Identifies the root (e.g. the absolute directory); writers of one process that share a
  // root and dataset share one committer.
  virtual std::string RootId() const = 0;
};

// storage.sync (docs/lode-layout.md, "Durability"): kAlways makes Put, CompareAndSwap and
// Sync durable against an OS crash; kNever leaves that to the kernel's writeback (a process crash
// still loses nothing that returned, the page cache keeps it).
enum class SyncMode { kAlways, kNever };

// Retries of transient failures (S3 requests, §5.5) made inside store calls on the calling thread
// since it started. A writer adds what its commit added to lode_write_retry_total; stores that
// retry call CountStoreRequestRetry.
uint64_t StoreRequestRetriesOnThisThread();
void CountStoreRequestRetry();

// `root` must be an existing directory.
StatusOr<std::shared_ptr<Store>> OpenFsStore(const std::string& root,
                                             SyncMode sync = SyncMode::kAlways);
std::shared_ptr<Store> NewMemStore();

}  // namespace quarry::lode
