#include "lode/committer.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "lode/manifest.h"
#include "lode/object_path.h"
#include "lode/random_name.h"
#include "lode/store_error.h"

namespace quarry::lode {
namespace {

using Clock = std::chrono::steady_clock;

// A fresh id colliding with an existing data file (another process, same nanosecond) is retried
// with a new id this many times before the write fails.
constexpr int kMaxIdAttempts = 8;

int64_t SystemNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t NowNs(const WriterOptions& o) { return o.now_unix_ns ? o.now_unix_ns() : SystemNowNs(); }

// Uniform in [0, min(10 ms x 2^(k-1), 2 s)) for retry k >= 1 (§4.7).
std::chrono::microseconds Backoff(uint64_t k) {
  const uint64_t cap_us = 2'000'000;
  uint64_t bound_us = 10'000;
  for (uint64_t i = 1; i < k && bound_us < cap_us; ++i) bound_us *= 2;
  return std::chrono::microseconds(RandomBelow(std::min(bound_us, cap_us)));
}

void SleepUntilAtMost(std::chrono::microseconds d, Clock::time_point deadline) {
  const auto until = std::min(Clock::now() + d, deadline);
  std::this_thread::sleep_until(until);
}

std::string_view Trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}

std::map<std::string, std::weak_ptr<Committer>>& Registry() {
  static auto* registry = new std::map<std::string, std::weak_ptr<Committer>>();
  return *registry;
}

}  // namespace

std::shared_ptr<Committer> Committer::For(const std::shared_ptr<Store>& store,
                                          const std::string& dataset) {
  std::string key = store->RootId();
  key.push_back('\0');
  key.append(dataset);
  std::lock_guard<std::mutex> lock(RegistryMutex());
  auto& registry = Registry();
  for (auto it = registry.begin(); it != registry.end();) {
    it = it->second.expired() ? registry.erase(it) : std::next(it);
  }
  if (auto it = registry.find(key); it != registry.end()) {
    if (auto existing = it->second.lock()) return existing;
  }
  auto committer = std::make_shared<Committer>(store, dataset);
  registry[key] = committer;
  return committer;
}

Committer::Committer(std::shared_ptr<Store> store, std::string dataset)
    : store_(std::move(store)),
      dataset_(std::move(dataset)),
      pointer_path_(LatestPointerPath(dataset_)) {}

void Committer::Submit(CommitRequest* req) {
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(req);
  while (!req->done_) {
    if (leader_active_) {
      cv_.wait(lock);
      continue;
    }
    // Lead until our own write is done, then hand over so no caller waits on others' work.
    leader_active_ = true;
    while (!req->done_) {
      std::vector<CommitRequest*> batch = TakeBatch();
      lock.unlock();
      CommitBatch(batch);
      lock.lock();
      for (CommitRequest* r : batch) r->done_ = true;
      cv_.notify_all();
    }
    leader_active_ = false;
    if (!queue_.empty()) cv_.notify_all();
  }
}

std::vector<CommitRequest*> Committer::TakeBatch() {
  // First fit in arrival order: the oldest write is always taken, later ones join when none of
  // their partitions is already in the snapshot (one data file per partition and snapshot).
  std::vector<CommitRequest*> batch;
  std::set<std::string_view> taken;
  for (auto it = queue_.begin(); it != queue_.end();) {
    CommitRequest* r = *it;
    const bool overlaps = std::any_of(r->parts.begin(), r->parts.end(),
                                      [&](const auto& p) { return taken.count(p.partition) > 0; });
    if (overlaps) {
      ++it;
      continue;
    }
    for (const PartitionWrite& p : r->parts) taken.insert(p.partition);
    batch.push_back(r);
    it = queue_.erase(it);
  }
  return batch;
}

std::string Committer::NextSnapshotId(const WriterOptions& options) {
  // Strictly increasing inside the process, so two commits here never share an id even when the
  // clock is coarse or pinned.
  last_id_ = std::max(NowNs(options), last_id_ + 1);
  return std::to_string(last_id_);
}

Status Committer::ResolveParent(const WriterOptions& options, std::string* parent,
                                std::string* expected) {
  if (head_known_) {
    *parent = head_;
    *expected = head_pointer_;
    return Status::Ok();
  }
  std::string seen;  // pointer content whose missing manifest we are waiting for
  Clock::time_point waiting_since{};
  uint64_t polls = 0;
  for (;;) {
    std::string raw;
    StatusOr<std::string> got = store_->Get(pointer_path_);
    if (got.ok()) {
      raw = std::move(got).value();
    } else if (got.status().code() != StatusCode::kNotFound) {
      return got.status();
    }
    const std::string_view id = Trim(raw);
    if (!id.empty()) {
      QUARRY_ASSIGN_OR_RETURN(bool exists, store_->Exists(CanonicalManifestPath(dataset_, id)));
      if (exists) {
        *parent = std::string(id);
        *expected = raw;
        return Status::Ok();
      }
      // Most likely another process between its CAS and its manifest put: give it time before
      // declaring the pointer stale, or the chain would skip its snapshot.
      if (raw != seen) {
        seen = raw;
        waiting_since = Clock::now();
        polls = 0;
      }
      if (Clock::now() - waiting_since < options.stale_pointer_grace) {
        const auto step = std::chrono::milliseconds(std::min<uint64_t>(2u << polls, 100));
        ++polls;
        SleepUntilAtMost(step, waiting_since + options.stale_pointer_grace);
        continue;
      }
    }
    // Missing, empty or stale pointer: the largest canonical snapshot id is the parent, and the
    // CAS replaces whatever the pointer holds now.
    QUARRY_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                            store_->List(CanonicalSegmentsPrefix(dataset_)));
    std::string_view best;
    for (const std::string& k : keys) {
      std::string_view sid = SnapshotIdOfCanonicalManifest(dataset_, k);
      if (!sid.empty() && sid > best) best = sid;
    }
    *parent = std::string(best);
    *expected = raw;
    return Status::Ok();
  }
}

void Committer::CommitBatch(const std::vector<CommitRequest*>& batch) {
  const WriterOptions& options = *batch.front()->options;
  // Requests the store retried inside itself (S3, §5.5) count as write retries too.
  const uint64_t store_retries_before = StoreRequestRetriesOnThisThread();
  auto fail = [](CommitRequest* r, const Status& cause) {
    r->status = WrapStorageError("write", r->parts.front().readable, cause);
  };

  // 1-3. Snapshot id and data files. A data put that hits an existing path means the id is
  // taken (§4.2): everything is written again under a new id, the earlier files stay as orphans.
  std::vector<CommitRequest*> live;
  std::string id;
  for (int attempt = 0;; ++attempt) {
    live.clear();
    id = NextSnapshotId(options);
    bool collision = false;
    for (CommitRequest* r : batch) {
      if (!r->status.ok()) continue;
      bool ok = true;
      for (const PartitionWrite& p : r->parts) {
        Status st = store_->PutDeferred(DataFilePath(dataset_, p.partition, id), p.data);
        if (st.code() == StatusCode::kAlreadyExists && attempt + 1 < kMaxIdAttempts) {
          collision = true;
          break;
        }
        if (!st.ok()) {
          r->status = WrapStorageError("write", p.readable, st);
          ok = false;
          break;
        }
      }
      if (collision) break;
      if (ok) live.push_back(r);
    }
    if (!collision) break;
  }
  if (live.empty()) return;

  // 4. File references and totals of everything that made it into the snapshot.
  std::vector<FileRef> files;
  std::vector<std::string> manifest_paths;
  std::vector<std::string> runs;
  std::vector<SidecarRef> sidecars;
  uint64_t rows = 0;
  for (CommitRequest* r : live) {
    for (const PartitionWrite& p : r->parts) {
      files.push_back({DataFilePath(dataset_, p.partition, id), p.data.size()});
      rows += p.rows;
    }
    if (r->run_indented && std::find(runs.begin(), runs.end(), *r->run_indented) == runs.end()) {
      runs.push_back(*r->run_indented);
    }
    sidecars.insert(sidecars.end(), r->sidecars.begin(), r->sidecars.end());
  }
  std::sort(files.begin(), files.end(),
            [](const FileRef& a, const FileRef& b) { return a.path < b.path; });
  manifest_paths.push_back(CanonicalManifestPath(dataset_, id));
  {
    std::vector<std::string> copies;
    for (CommitRequest* r : live) {
      for (const PartitionWrite& p : r->parts) {
        copies.push_back(PartitionManifestPath(dataset_, p.partition, id));
      }
    }
    std::sort(copies.begin(), copies.end());
    manifest_paths.insert(manifest_paths.end(), copies.begin(), copies.end());
  }

  uint64_t retries = 0;
  auto finish = [&](const Status& st) {
    const uint64_t store_retries = StoreRequestRetriesOnThisThread() - store_retries_before;
    for (CommitRequest* r : live) {
      r->retries += retries + store_retries;
      if (st.ok()) {
        r->snapshot_id = id;
      } else {
        fail(r, st);
      }
    }
  };

  // 5. Resolve the parent, build the manifest, swap the pointer; conflicts retry with the same
  // id and data files until the deadline.
  const Clock::time_point deadline = Clock::now() + options.commit_deadline;
  std::string manifest;
  for (;;) {
    std::string parent, expected;
    Status st = ResolveParent(options, &parent, &expected);
    if (!st.ok()) {
      head_known_ = false;
      return finish(st);
    }
    ManifestFields fields;
    fields.dataset_id = dataset_;
    fields.snapshot_id = id;
    fields.created_at_unix_ns = NowNs(options);
    fields.runs_indented = runs;
    fields.sidecars = sidecars;
    fields.files = files;
    fields.parent_snapshot_id = parent;
    fields.row_count = rows;
    manifest = BuildManifestJson(fields);

    st = store_->CompareAndSwapDeferred(pointer_path_, expected, id);
    if (st.ok()) break;
    head_known_ = false;
    if (st.code() != StatusCode::kFailedPrecondition) return finish(st);
    if (Clock::now() >= deadline) {
      return finish(DeadlineExceededError(
          st.message() + " (commit deadline of " + std::to_string(options.commit_deadline.count()) +
          " ms passed after " + std::to_string(retries) + " retries)"));
    }
    ++retries;
    SleepUntilAtMost(Backoff(retries), deadline);
  }

  // Barrier 1: the data files (and their new directories) are durable before any manifest can
  // be, the pointer with them. A crash before it completes leaves at most a pointer without a
  // manifest: stale, which every writer and reader already handles (§4.7).
  if (Status st = store_->Sync(); !st.ok()) {
    head_known_ = false;
    return finish(st);
  }

  // The pointer now names `id`: until the canonical manifest exists it is stale for everyone,
  // so manifest puts are retried until the deadline. An existing manifest with our exact bytes
  // is a put that succeeded although its answer was lost.
  for (const std::string& path : manifest_paths) {
    uint64_t attempt = 0;
    for (;;) {
      Status st = store_->PutDeferred(path, manifest);
      if (st.code() == StatusCode::kAlreadyExists) {
        StatusOr<std::string> stored = store_->Get(path);
        if (stored.ok() && *stored == manifest) st = Status::Ok();
        if (stored.ok() && *stored != manifest) {
          head_known_ = false;
          return finish(st);
        }
      }
      if (st.ok()) break;
      if (Clock::now() >= deadline) {
        head_known_ = false;
        return finish(st);
      }
      ++retries;
      ++attempt;
      SleepUntilAtMost(Backoff(attempt), deadline);
    }
  }

  // Barrier 2: the manifests; only now does the write count as persisted.
  if (Status st = store_->Sync(); !st.ok()) {
    head_known_ = false;
    return finish(st);
  }

  head_known_ = true;
  head_ = id;
  head_pointer_ = id;
  finish(Status::Ok());
}

}  // namespace quarry::lode
