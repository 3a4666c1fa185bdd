#include "lode/mem_store.h"

#include <atomic>

#include "lode/object_path.h"

namespace quarry::lode {
namespace {

std::string NextRootId() {
  // Each instance is its own root, so writers on different mem stores never share a committer.
  static std::atomic<uint64_t> next{1};
  return "mem:" + std::to_string(next.fetch_add(1));
}

}  // namespace

MemStore::MemStore() : root_id_(NextRootId()) {}

Status MemStore::RunHook(StoreOp op, std::string_view path, std::string_view data) {
  Hook hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_[static_cast<int>(op)];
    hook = hook_;
  }
  return hook ? hook(op, path, data) : Status::Ok();
}

Status MemStore::Put(std::string_view path, std::string_view data) {
  QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
  QUARRY_RETURN_IF_ERROR(RunHook(StoreOp::kPut, path, data));
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = objects_.try_emplace(std::string(path), data);
  if (!inserted) return AlreadyExistsError(std::string(path) + ": path already exists");
  return Status::Ok();
}

StatusOr<std::string> MemStore::Get(std::string_view path) {
  QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
  QUARRY_RETURN_IF_ERROR(RunHook(StoreOp::kGet, path));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(path);
  if (it == objects_.end()) return NotFoundError(std::string(path) + ": not found");
  return it->second;
}

StatusOr<bool> MemStore::Exists(std::string_view path) {
  QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
  QUARRY_RETURN_IF_ERROR(RunHook(StoreOp::kExists, path));
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.find(path) != objects_.end();
}

StatusOr<std::vector<std::string>> MemStore::List(std::string_view prefix) {
  QUARRY_RETURN_IF_ERROR(ValidateListPrefix(prefix));
  QUARRY_RETURN_IF_ERROR(RunHook(StoreOp::kList, prefix));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> keys;
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    keys.push_back(it->first);
  }
  return keys;
}

Status MemStore::Delete(std::string_view path) {
  QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
  QUARRY_RETURN_IF_ERROR(RunHook(StoreOp::kDelete, path));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(path);
  if (it != objects_.end()) objects_.erase(it);
  return Status::Ok();
}

Status MemStore::CompareAndSwap(std::string_view path, std::string_view expected,
                                std::string_view replacement) {
  QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
  QUARRY_RETURN_IF_ERROR(RunHook(StoreOp::kCas, path, replacement));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(path);
  const bool matches = it == objects_.end() ? expected.empty() : it->second == expected;
  if (!matches) return FailedPreconditionError("snapshot conflict: another writer committed");
  if (it == objects_.end()) {
    objects_.emplace(std::string(path), replacement);
  } else {
    it->second.assign(replacement);
  }
  return Status::Ok();
}

void MemStore::SetHook(Hook hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}

uint64_t MemStore::Calls(StoreOp op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_[static_cast<int>(op)];
}

void MemStore::ResetCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  for (uint64_t& c : calls_) c = 0;
}

void MemStore::Set(std::string_view path, std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_[std::string(path)] = std::string(data);
}

std::map<std::string, std::string> MemStore::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {objects_.begin(), objects_.end()};
}

std::shared_ptr<Store> NewMemStore() { return std::make_shared<MemStore>(); }

}  // namespace quarry::lode
