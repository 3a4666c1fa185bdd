// A store that discards what is written: the whole Lode write path runs (JSONL encoding, snapshot,
// pointer compare-and-swap) but no object content is kept, so a whole-run benchmark measures the
// runtime rather than a storage medium or the memory of an in-memory store. Only the pointer's
// content and a hash of each key survive, which is all a single uncontended writer reads back (it
// resolves its parent from memory after the first write, §4.7). Not a Store for anything else.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "quarry/lode/store.h"

namespace quarry::bench {

class NullStore final : public lode::Store {
 public:
  Status Put(std::string_view path, std::string_view data) override {
    bytes_.fetch_add(data.size(), std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    if (!keys_.insert(Hash(path)).second) {
      return AlreadyExistsError(std::string(path) + ": path already exists");
    }
    return Status::Ok();
  }
  StatusOr<std::string> Get(std::string_view path) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pointers_.find(std::string(path));
    if (it == pointers_.end()) return NotFoundError(std::string(path) + ": not found");
    return it->second;
  }
  StatusOr<bool> Exists(std::string_view path) override {
    std::lock_guard<std::mutex> lock(mu_);
    return keys_.contains(Hash(path)) || pointers_.contains(std::string(path));
  }
  StatusOr<std::vector<std::string>> List(std::string_view) override {
    return std::vector<std::string>();  // only consulted before the first snapshot exists
  }
  Status Delete(std::string_view path) override {
    std::lock_guard<std::mutex> lock(mu_);
    keys_.erase(Hash(path));
    pointers_.erase(std::string(path));
    return Status::Ok();
  }
  Status CompareAndSwap(std::string_view path, std::string_view expected,
                        std::string_view replacement) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pointers_.find(std::string(path));
    const std::string_view current = it == pointers_.end() ? std::string_view() : it->second;
    if (current != expected) {
      return FailedPreconditionError("snapshot conflict: another writer committed");
    }
    pointers_[std::string(path)] = std::string(replacement);
    return Status::Ok();
  }
  std::string_view Backend() const override { return "mem"; }
  std::string RootId() const override {
    return "null:" + std::to_string(reinterpret_cast<uintptr_t>(this));
  }

  uint64_t bytes_put() const { return bytes_.load(); }

 private:
  static size_t Hash(std::string_view path) { return std::hash<std::string_view>()(path); }

  std::mutex mu_;
  std::unordered_set<size_t> keys_;
  std::map<std::string, std::string> pointers_;
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace quarry::bench
