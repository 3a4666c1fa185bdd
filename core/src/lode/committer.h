// The per-process committer of one dataset (storage-and-policies.md §4.6, §4.7).
//
// Every RunWriter of a process that targets the same store root and dataset submits its writes
// here. Writes that arrive while a commit is in flight queue up; the submitting thread that finds
// no commit running becomes the leader and commits queued writes with disjoint partitions as one
// snapshot, so writers of one process never contend for the pointer with each other.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "quarry/lode/run_writer.h"
#include "quarry/lode/store.h"
#include "quarry/status.h"

namespace quarry::lode {

struct PartitionWrite {
  std::string partition;  // escaped "source=../event_type=.."
  std::string readable;   // "<ds>/<source>/../<event_type>" for error messages
  std::string data;       // JSONL
  uint64_t rows = 0;
};

struct CommitRequest {
  // Inputs.
  std::vector<PartitionWrite> parts;          // distinct partitions, insertion order
  const std::string* run_indented = nullptr;  // the run descriptor, see ManifestFields
  std::vector<SidecarRef> sidecars;
  const WriterOptions* options = nullptr;

  // Outputs, valid once Submit returns.
  Status status;
  std::string snapshot_id;
  uint64_t retries = 0;

 private:
  friend class Committer;
  bool done_ = false;
};

class Committer {
 public:
  // The committer shared by all writers of this process for (store root, dataset).
  static std::shared_ptr<Committer> For(const std::shared_ptr<Store>& store,
                                        const std::string& dataset);

  Committer(std::shared_ptr<Store> store, std::string dataset);

  // Blocks until the snapshot containing `req` has committed or failed.
  void Submit(CommitRequest* req);

 private:
  std::vector<CommitRequest*> TakeBatch();  // requires mu_
  void CommitBatch(const std::vector<CommitRequest*>& batch);
  std::string NextSnapshotId(const WriterOptions& options);
  Status ResolveParent(const WriterOptions& options, std::string* parent, std::string* expected);

  const std::shared_ptr<Store> store_;
  const std::string dataset_;
  const std::string pointer_path_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<CommitRequest*> queue_;
  bool leader_active_ = false;

  // Leader-only state (one commit at a time, so no lock needed).
  int64_t last_id_ = 0;
  bool head_known_ = false;
  std::string head_;          // the snapshot this committer committed last
  std::string head_pointer_;  // the pointer content that commit wrote
};

}  // namespace quarry::lode
