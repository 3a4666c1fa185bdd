// The in-memory store behind NewMemStore(), exposed for tests and benchmarks: it counts calls per
// operation and lets a test fail or intercept any call (storage-and-policies.md §4.6, §4.7 error
// paths).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "quarry/lode/store.h"

namespace quarry::lode {

enum class StoreOp { kPut, kGet, kExists, kList, kDelete, kCas };

class MemStore final : public Store {
 public:
  // Runs before an operation, outside the store's lock (so it may call back into the store, e.g.
  // to play another writer). `data` is the bytes of a put or the replacement of a CAS. A non-OK
  // result is returned instead of performing the operation.
  using Hook = std::function<Status(StoreOp op, std::string_view path, std::string_view data)>;

  MemStore();

  Status Put(std::string_view path, std::string_view data) override;
  StatusOr<std::string> Get(std::string_view path) override;
  StatusOr<bool> Exists(std::string_view path) override;
  StatusOr<std::vector<std::string>> List(std::string_view prefix) override;
  Status Delete(std::string_view path) override;
  Status CompareAndSwap(std::string_view path, std::string_view expected,
                        std::string_view replacement) override;
  std::string_view Backend() const override { return "mem"; }
  std::string RootId() const override { return root_id_; }

  void SetHook(Hook hook);
  uint64_t Calls(StoreOp op) const;
  void ResetCalls();
  // Raw access that bypasses hooks, counters and the no-overwrite rule (test setup only).
  void Set(std::string_view path, std::string_view data);
  std::map<std::string, std::string> Snapshot() const;

 private:
  Status RunHook(StoreOp op, std::string_view path, std::string_view data = {});

  const std::string root_id_;
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> objects_;
  Hook hook_;
  uint64_t calls_[6] = {};
};

}  // namespace quarry::lode
