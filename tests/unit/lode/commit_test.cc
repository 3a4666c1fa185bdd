// The commit sequence, pointer contention and recovery (storage-and-policies.md §4.6, §4.7).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <thread>

#include "lode/manifest.h"
#include "lode/mem_store.h"
#include "lode/object_path.h"
#include "lode/test_events.h"
#include "lode/test_support.h"
#include "quarry/lode/reader.h"
#include "quarry/lode/run_writer.h"

namespace quarry::lode {
namespace {

using testing::EventSpec;
using testing::MakeEvent;

RunDescriptor RunNamed(const std::string& id) {
  RunDescriptor run = testing::ExampleRun();
  run.run_id = id;
  run.job_id.reset();
  return run;
}

Status WriteItem(RunWriter& w, int64_t seq) {
  EventSpec e;
  e.run_id = w.run().run_id;
  e.seq = seq;
  e.event_id = w.run().run_id + "#" + std::to_string(seq);
  return w.WriteEvents(std::vector<Event>{MakeEvent(e)});
}

// Installs a manifest for `id` (parent `parent`) and points `latest` at it, as another process
// would, bypassing this process's committer.
void CommitForeignSnapshot(MemStore& store, const std::string& id, const std::string& parent) {
  const std::string runs[] = {R"({"run_id":"foreign"})"};
  ManifestFields f;
  f.dataset_id = "quarry";
  f.snapshot_id = id;
  f.created_at_unix_ns = 1;
  f.runs_indented = runs;
  f.parent_snapshot_id = parent;
  store.Set(CanonicalManifestPath("quarry", id), BuildManifestJson(f));
  store.Set(LatestPointerPath("quarry"), id);
}

// Every snapshot listed in the dataset is on the chain from `latest`, which has no newline.
void ExpectSingleUnbrokenChain(Store& store, size_t expected_snapshots) {
  auto chain = WalkChain(store, "quarry");
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  auto all = ListCanonicalManifests(store, "quarry");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(chain->size(), all->size());
  EXPECT_EQ(chain->size(), expected_snapshots);
  std::set<std::string> ids;
  for (const Manifest& m : *chain) ids.insert(m.snapshot_id);
  EXPECT_EQ(ids.size(), chain->size());
  const std::string latest = *store.Get(LatestPointerPath("quarry"));
  EXPECT_EQ(latest, chain->front().snapshot_id);
  EXPECT_EQ(latest.find('\n'), std::string::npos);
}

TEST(CommitTest, WarmWriterMakesOnlyPutsAndOneCas) {
  auto store = std::make_shared<MemStore>();
  RunWriter w(store, RunNamed("r"), testing::FastOptions());
  ASSERT_TRUE(WriteItem(w, 1).ok());
  store->ResetCalls();
  std::vector<Event> two;
  for (const char* type : {"item", "log"}) {
    EventSpec e;
    e.run_id = "r";
    e.type = type;
    two.push_back(MakeEvent(e));
  }
  ASSERT_TRUE(w.WriteEvents(two).ok());
  // P = 2 partitions: 2 data puts + 1 CAS + 3 manifest puts, no reads or listings.
  EXPECT_EQ(store->Calls(StoreOp::kPut), 5u);
  EXPECT_EQ(store->Calls(StoreOp::kCas), 1u);
  EXPECT_EQ(store->Calls(StoreOp::kGet), 0u);
  EXPECT_EQ(store->Calls(StoreOp::kList), 0u);
  EXPECT_EQ(store->Calls(StoreOp::kExists), 0u);
}

TEST(CommitTest, ConflictRetryKeepsSnapshotIdAndDoesNotReuploadData) {
  auto store = std::make_shared<MemStore>();
  RunWriter w(store, RunNamed("r"), testing::FastOptions());
  ASSERT_TRUE(WriteItem(w, 1).ok());
  const std::string first = *store->Get(LatestPointerPath("quarry"));

  std::vector<std::string> data_puts;
  std::atomic<int> cas_calls{0};
  store->SetHook([&](StoreOp op, std::string_view path, std::string_view) {
    if (op == StoreOp::kPut && path.find("/data/data") != std::string_view::npos) {
      data_puts.emplace_back(path);
    }
    if (op == StoreOp::kCas && cas_calls++ == 0) {
      CommitForeignSnapshot(*store, "1999999999999999999", first);
    }
    return Status::Ok();
  });
  ASSERT_TRUE(WriteItem(w, 2).ok());
  store->SetHook(nullptr);

  EXPECT_EQ(cas_calls.load(), 2);
  EXPECT_EQ(w.retries(), 1u);
  ASSERT_EQ(data_puts.size(), 1u);
  auto chain = WalkChain(*store, "quarry");
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 3u);
  const Manifest& mine = chain->front();
  EXPECT_EQ(mine.parent_snapshot_id, "1999999999999999999");
  ASSERT_EQ(mine.files.size(), 1u);
  EXPECT_EQ(mine.files[0].path, data_puts[0]);
  EXPECT_NE(data_puts[0].find("/segments/" + mine.snapshot_id + "/data/data"), std::string::npos);
  // Kept its id although it is now smaller than its parent's (§4.7).
  EXPECT_LT(mine.snapshot_id, "1999999999999999999");
  EXPECT_EQ((*chain)[2].snapshot_id, first);
}

TEST(CommitTest, ManifestPutFailureAfterCasIsRetried) {
  auto store = std::make_shared<MemStore>();
  RunWriter w(store, RunNamed("r"), testing::FastOptions());
  int failures = 0;
  store->SetHook([&](StoreOp op, std::string_view path, std::string_view) {
    if (op == StoreOp::kPut && path.rfind("datasets/quarry/segments/", 0) == 0 && failures < 2) {
      ++failures;
      return UnavailableError("503 Service Unavailable");
    }
    return Status::Ok();
  });
  ASSERT_TRUE(WriteItem(w, 1).ok());
  EXPECT_EQ(failures, 2);
  EXPECT_EQ(w.retries(), 2u);
  ExpectSingleUnbrokenChain(*store, 1);
}

TEST(CommitTest, ManifestAlreadyStoredWithIdenticalBytesCountsAsSuccess) {
  auto store = std::make_shared<MemStore>();
  RunWriter w(store, RunNamed("r"), testing::FastOptions());
  bool lost = false;
  store->SetHook([&](StoreOp op, std::string_view path, std::string_view data) {
    if (op == StoreOp::kPut && !lost && path.rfind("datasets/quarry/segments/", 0) == 0) {
      lost = true;  // the put lands but its answer never arrives
      store->Set(path, data);
      return IOError("connection reset by peer");
    }
    return Status::Ok();
  });
  ASSERT_TRUE(WriteItem(w, 1).ok());
  EXPECT_TRUE(lost);
  ExpectSingleUnbrokenChain(*store, 1);
}

TEST(CommitTest, ManifestPutsGiveUpAtTheDeadline) {
  auto store = std::make_shared<MemStore>();
  WriterOptions o = testing::FastOptions();
  o.commit_deadline = std::chrono::milliseconds(150);
  RunWriter w(store, RunNamed("r"), o);
  store->SetHook([&](StoreOp op, std::string_view path, std::string_view) {
    if (op == StoreOp::kPut && path.find("manifest.json") != std::string_view::npos) {
      return IOError("disk on fire");
    }
    return Status::Ok();
  });
  Status st = WriteItem(w, 1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("write quarry/shop/products/2026-03-22/r/item: storage error: ", 0),
            0u)
      << st.message();
  EXPECT_GT(w.retries(), 0u);
  // The pointer now names a snapshot without a manifest: the next write recovers by a scan.
  store->SetHook(nullptr);
  ASSERT_TRUE(WriteItem(w, 2).ok());
  ExpectSingleUnbrokenChain(*store, 1);
}

TEST(CommitTest, ConflictsUntilTheDeadlineFailAsTimeout) {
  auto store = std::make_shared<MemStore>();
  WriterOptions o = testing::FastOptions();
  o.commit_deadline = std::chrono::milliseconds(200);
  RunWriter w(store, RunNamed("r"), o);
  store->SetHook([](StoreOp op, std::string_view, std::string_view) {
    return op == StoreOp::kCas
               ? FailedPreconditionError("snapshot conflict: another writer committed")
               : Status::Ok();
  });
  const auto start = std::chrono::steady_clock::now();
  Status st = WriteItem(w, 1);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(st.message().rfind("write quarry/shop/products/2026-03-22/r/item: operation timed out: "
                               "snapshot conflict: another writer committed",
                               0),
            0u)
      << st.message();
  EXPECT_GE(took, std::chrono::milliseconds(200));
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  EXPECT_GT(w.retries(), 1u);
  // The data file stays behind as an orphan; nothing references it.
  EXPECT_FALSE(store->Get(LatestPointerPath("quarry")).ok());
}

TEST(CommitTest, OtherStoreErrorsAbortWithoutRetry) {
  auto store = std::make_shared<MemStore>();
  RunWriter w(store, RunNamed("r"), testing::FastOptions());
  store->SetHook([](StoreOp op, std::string_view, std::string_view) {
    return op == StoreOp::kCas ? IOError("403 AccessDenied") : Status::Ok();
  });
  Status st = WriteItem(w, 1);
  EXPECT_EQ(st.message(),
            "write quarry/shop/products/2026-03-22/r/item: access denied: 403 AccessDenied");
  EXPECT_EQ(w.retries(), 0u);
  EXPECT_EQ(store->Calls(StoreOp::kCas), 1u);
}

TEST(CommitTest, StalePointerIsRecoveredByScanByAWarmWriter) {
  auto store = std::make_shared<MemStore>();
  RunWriter w(store, RunNamed("r"), testing::FastOptions());
  ASSERT_TRUE(WriteItem(w, 1).ok());
  const std::string first = *store->Get(LatestPointerPath("quarry"));
  store->Set(LatestPointerPath("quarry"), "9999999999999999999");  // crashed after its CAS
  ASSERT_TRUE(WriteItem(w, 2).ok());
  EXPECT_EQ(w.retries(), 1u);
  ExpectSingleUnbrokenChain(*store, 2);
  EXPECT_EQ(WalkChain(*store, "quarry")->front().parent_snapshot_id, first);
}

TEST(CommitTest, ColdWriterScansWhenPointerIsStaleOrMissing) {
  testing::TempDir dir;
  auto store = *OpenFsStore(dir.path());
  {
    RunWriter w(store, RunNamed("r1"), testing::FastOptions());
    ASSERT_TRUE(WriteItem(w, 1).ok());
    ASSERT_TRUE(WriteItem(w, 2).ok());
  }
  const std::string head = *store->Get(LatestPointerPath("quarry"));
  // A stale pointer with a trailing newline, as a foreign tool might leave it.
  ASSERT_TRUE(
      store->CompareAndSwap(LatestPointerPath("quarry"), head, "1000000000000000000\n").ok());
  {
    RunWriter w(store, RunNamed("r2"), testing::FastOptions());
    ASSERT_TRUE(WriteItem(w, 1).ok());
    EXPECT_EQ(w.retries(), 0u);
  }
  ExpectSingleUnbrokenChain(*store, 3);
  EXPECT_EQ(WalkChain(*store, "quarry")->at(0).parent_snapshot_id, head);

  ASSERT_TRUE(store->Delete(LatestPointerPath("quarry")).ok());
  const std::string second = WalkChain(*store, "quarry")->at(0).snapshot_id;
  {
    RunWriter w(store, RunNamed("r3"), testing::FastOptions());
    ASSERT_TRUE(WriteItem(w, 1).ok());
  }
  ExpectSingleUnbrokenChain(*store, 4);
  EXPECT_EQ(WalkChain(*store, "quarry")->at(0).parent_snapshot_id, second);
}

TEST(CommitTest, TakenSnapshotIdIsReplacedByAFreshOne) {
  auto store = std::make_shared<MemStore>();
  auto clock = std::make_shared<testing::ScriptedClock>(
      std::vector<int64_t>{1774170900120500000, 1774170900120600000});
  WriterOptions o = testing::FastOptions();
  o.now_unix_ns = [clock] { return (*clock)(); };
  RunWriter w(store, RunNamed("r"), o);
  const std::string taken =
      "datasets/quarry/partitions/source=shop/category=products/day=2026-03-22/run_id=r/"
      "event_type=item/segments/1774170900120500000/data/data";
  store->Set(taken, "someone else's\n");
  ASSERT_TRUE(WriteItem(w, 1).ok());
  EXPECT_EQ(*store->Get(taken), "someone else's\n");
  auto chain = WalkChain(*store, "quarry");
  ASSERT_EQ(chain->size(), 1u);
  EXPECT_NE(chain->front().snapshot_id, "1774170900120500000");
  EXPECT_EQ(chain->front().files[0].path.find("1774170900120500000"), std::string::npos);
}

TEST(CommitTest, QueuedWritesOfOneProcessCoalesceIntoOneSnapshot) {
  auto store = std::make_shared<MemStore>();
  constexpr int kWriters = 5;
  std::vector<std::unique_ptr<RunWriter>> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.push_back(std::make_unique<RunWriter>(store, RunNamed("r" + std::to_string(i)),
                                                  testing::FastOptions()));
  }
  // Hold the first commit in its data put until every other writer has had time to queue.
  std::atomic<bool> first_started{false};
  store->SetHook([&](StoreOp op, std::string_view, std::string_view) {
    if (op == StoreOp::kPut && !first_started.exchange(true)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return Status::Ok();
  });
  std::vector<std::thread> threads;
  std::vector<Status> results(kWriters);
  threads.emplace_back([&] { results[0] = WriteItem(*writers[0], 1); });
  while (!first_started) std::this_thread::yield();
  for (int i = 1; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      results[static_cast<size_t>(i)] = WriteItem(*writers[static_cast<size_t>(i)], 1);
    });
  }
  for (auto& t : threads) t.join();
  for (const Status& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  ExpectSingleUnbrokenChain(*store, 2);
  const Manifest merged = WalkChain(*store, "quarry")->front();
  EXPECT_EQ(merged.row_count, kWriters - 1u);
  EXPECT_EQ(merged.files.size(), kWriters - 1u);
  EXPECT_EQ(merged.metadata["quarry_runs"].size(), kWriters - 1u);
  for (auto& w : writers) EXPECT_EQ(w->retries(), 0u);
}

TEST(CommitTest, WritesToTheSamePartitionAreNotMerged) {
  auto store = std::make_shared<MemStore>();
  // Two writers of the same run id (e.g. two attempts' writers alive at once) share partitions.
  RunWriter a(store, RunNamed("same"), testing::FastOptions());
  RunWriter b(store, RunNamed("same"), testing::FastOptions());
  std::atomic<bool> first_started{false};
  store->SetHook([&](StoreOp op, std::string_view, std::string_view) {
    if (op == StoreOp::kPut && !first_started.exchange(true)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Status::Ok();
  });
  Status sa, sb, sc;
  RunWriter c(store, RunNamed("same"), testing::FastOptions());
  std::thread ta([&] { sa = WriteItem(a, 1); });
  while (!first_started) std::this_thread::yield();
  std::thread tb([&] { sb = WriteItem(b, 1); });
  std::thread tc([&] { sc = WriteItem(c, 1); });
  ta.join();
  tb.join();
  tc.join();
  EXPECT_TRUE(sa.ok() && sb.ok() && sc.ok());
  ExpectSingleUnbrokenChain(*store, 3);
}

// Threads with their own writers on one filesystem store: all succeed, one chain, every record
// exactly once.
TEST(CommitTest, ConcurrentWritersInOneProcessShareOneChain) {
  testing::TempDir dir;
  auto store = *OpenFsStore(dir.path());
  constexpr int kThreads = 4;
  constexpr int kWrites = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread opens its own store object on the same root, as separate runs would.
      auto own = *OpenFsStore(dir.path());
      RunWriter w(own, RunNamed("t" + std::to_string(t)), testing::FastOptions());
      for (int i = 1; i <= kWrites; ++i) {
        if (!WriteItem(w, i).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto chain = WalkChain(*store, "quarry");
  ASSERT_TRUE(chain.ok());
  std::multiset<std::string> events;
  for (const Manifest& m : *chain) {
    auto records = ReadSnapshotRecords(*store, m);
    ASSERT_TRUE(records.ok());
    for (const auto& r : *records) events.insert(r["event_id"]);
  }
  EXPECT_EQ(events.size(), static_cast<size_t>(kThreads * kWrites));
  EXPECT_EQ(std::set<std::string>(events.begin(), events.end()).size(), events.size());
  ExpectSingleUnbrokenChain(*store, chain->size());
  EXPECT_LE(chain->size(), static_cast<size_t>(kThreads * kWrites));
}

// Separate processes contend through the pointer CAS (flock + rename): every write succeeds after
// retries and the chain stays unbroken (checklist 39, scaled down).
TEST(CommitTest, ConcurrentProcessesRetryAndKeepOneChain) {
  testing::TempDir dir;
  constexpr int kProcs = 4;
  constexpr int kThreads = 2;
  constexpr int kWrites = 10;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcs; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int failed = 0;
      uint64_t retries = 0;
      std::mutex mu;
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          auto store = *OpenFsStore(dir.path());
          RunWriter w(store, RunNamed("p" + std::to_string(p) + "t" + std::to_string(t)),
                      testing::FastOptions());
          for (int i = 1; i <= kWrites; ++i) {
            if (!WriteItem(w, i).ok()) {
              std::lock_guard<std::mutex> lock(mu);
              ++failed;
            }
          }
          std::lock_guard<std::mutex> lock(mu);
          retries += w.retries();
        });
      }
      for (auto& t : threads) t.join();
      // Exit code: 0 = failures, else 1 + (retries > 0).
      ::_exit(failed > 0 ? 0 : (retries > 0 ? 2 : 1));
    }
    children.push_back(pid);
  }
  int with_retries = 0;
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_NE(WEXITSTATUS(status), 0) << "a child had failed writes";
    if (WEXITSTATUS(status) == 2) ++with_retries;
  }
  EXPECT_GT(with_retries, 0);
  auto store = *OpenFsStore(dir.path());
  auto chain = WalkChain(*store, "quarry");
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  size_t records = 0;
  for (const Manifest& m : *chain) records += ReadSnapshotRecords(*store, m)->size();
  EXPECT_EQ(records, static_cast<size_t>(kProcs * kThreads * kWrites));
  ExpectSingleUnbrokenChain(*store, chain->size());
}

}  // namespace
}  // namespace quarry::lode
