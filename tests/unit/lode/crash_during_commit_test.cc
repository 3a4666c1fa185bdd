// A process SIGKILLed in the middle of a commit (storage-and-policies.md §4.6, §4.7; issue 5 item
// 4): no manifest and no pointer may name a data file that is missing, orphans are at worst
// unreferenced files, the dataset stays readable, and the next run appends to one unbroken chain.
//
// Forked children write large multi-partition snapshots to a real filesystem store and are killed
// (1) right before and right after each of their mutating store calls in turn, which reaches every
// step boundary of the commit sequence, and (2) at random instants inside a commit, which reaches
// the middle of writes, fsyncs, links and renames. After every kill the whole dataset is checked.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lode/object_path.h"
#include "lode/test_events.h"
#include "lode/test_support.h"
#include "quarry/lode/reader.h"
#include "quarry/lode/run_writer.h"

namespace quarry::lode {
namespace {

using testing::EventSpec;
using testing::MakeEvent;

constexpr int kEventsPerWrite = 200;  // ~60 KB per snapshot over four partitions
constexpr const char* kTypes[] = {"item", "log", "checkpoint", "enqueue"};

// Kills its own process right before or right after its `kill_at`-th Put/CompareAndSwap.
class KillingStore final : public Store {
 public:
  KillingStore(std::shared_ptr<Store> inner, int kill_at, bool after)
      : inner_(std::move(inner)), kill_at_(kill_at), after_(after) {}

  Status Put(std::string_view path, std::string_view data) override {
    return Mutate([&] { return inner_->Put(path, data); });
  }
  StatusOr<std::string> Get(std::string_view path) override { return inner_->Get(path); }
  StatusOr<bool> Exists(std::string_view path) override { return inner_->Exists(path); }
  StatusOr<std::vector<std::string>> List(std::string_view prefix) override {
    return inner_->List(prefix);
  }
  Status Delete(std::string_view path) override {
    return Mutate([&] { return inner_->Delete(path); });
  }
  Status CompareAndSwap(std::string_view path, std::string_view expected,
                        std::string_view replacement) override {
    return Mutate([&] { return inner_->CompareAndSwap(path, expected, replacement); });
  }
  std::string_view Backend() const override { return inner_->Backend(); }
  std::string RootId() const override { return inner_->RootId(); }

 private:
  template <typename F>
  Status Mutate(F op) {
    const bool here = ++calls_ == kill_at_;
    if (here && !after_) ::raise(SIGKILL);
    Status s = op();
    if (here && after_) ::raise(SIGKILL);
    return s;
  }
  std::shared_ptr<Store> inner_;
  int calls_ = 0;
  const int kill_at_;
  const bool after_;
};

std::vector<Event> Batch(const std::string& run_id, int64_t first_seq) {
  const std::string filler(200, 'x');
  std::vector<Event> events;
  for (int i = 0; i < kEventsPerWrite; ++i) {
    EventSpec e;
    e.run_id = run_id;
    e.seq = first_seq + i;
    e.type = kTypes[i % 4];
    e.event_id = run_id + "#" + std::to_string(e.seq);
    e.payload = testing::Pack([&](testing::Packer& p) {
      p.pack_map(2);
      testing::PackStr(p, "n");
      p.pack_int64(e.seq);
      testing::PackStr(p, "text");
      testing::PackStr(p, filler);
    });
    events.push_back(MakeEvent(e));
  }
  return events;
}

// The child: writes `writes` snapshots (0 = until killed) as run `run_id`, one byte to
// `progress_fd` after each. Exit 0 when done, 3 on a failed write.
[[noreturn]] void WriteInChild(const std::string& root, const std::string& run_id, int writes,
                               int kill_at, bool after, int progress_fd) {
  auto fs = OpenFsStore(root);
  if (!fs.ok()) ::_exit(4);
  std::shared_ptr<Store> store = *fs;
  if (kill_at > 0) store = std::make_shared<KillingStore>(store, kill_at, after);
  RunDescriptor run = testing::ExampleRun();
  run.run_id = run_id;
  RunWriter w(store, run, testing::FastOptions());
  for (int i = 0; writes == 0 || i < writes; ++i) {
    if (Status st = w.WriteEvents(Batch(run_id, 1 + int64_t{i} * kEventsPerWrite)); !st.ok()) {
      // The parent only sees the exit status; the reason goes to the test's stderr.
      std::fprintf(stderr, "%s: write %d failed: %s\n", run_id.c_str(), i, st.message().c_str());
      ::_exit(3);
    }
    if (progress_fd >= 0 && ::write(progress_fd, "x", 1) != 1) ::_exit(5);
  }
  ::_exit(0);
}

struct Child {
  pid_t pid = -1;
  int progress = -1;  // read end
};

Child Fork(const std::string& root, const std::string& run_id, int writes, int kill_at,
           bool after) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    WriteInChild(root, run_id, writes, kill_at, after, fds[1]);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Waits for the child; true when it was SIGKILLed, false when it exited 0. Anything else fails.
bool Reap(const Child& c, const std::string& what) {
  int status = 0;
  EXPECT_EQ(::waitpid(c.pid, &status, 0), c.pid) << what;
  ::close(c.progress);
  if (WIFSIGNALED(status)) {
    EXPECT_EQ(WTERMSIG(status), SIGKILL) << what;
    return true;
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << what << ": child exit status " << status;
  return false;
}

// "<id>" of ".../segments/<id>/...".
std::string SnapshotIdIn(std::string_view path) {
  const size_t begin = path.rfind("/segments/") + 10;
  return std::string(path.substr(begin, path.find('/', begin) - begin));
}

// Checks everything the contract promises after a crash on the whole dataset. Snapshots never
// change once committed, so the records of each one are read once and remembered.
class CrashChecker {
 public:
  explicit CrashChecker(Store& store) : store_(store) {}

  void ExpectConsistent(const std::string& what) {
    SCOPED_TRACE(what);
    auto canonical = ListCanonicalManifests(store_, "quarry");
    ASSERT_TRUE(canonical.ok()) << canonical.status().ToString();
    std::map<std::string, std::string> manifest_bytes;  // snapshot id -> canonical bytes
    for (const std::string& path : *canonical) {
      auto m = LoadManifest(store_, path);
      ASSERT_TRUE(m.ok()) << path << ": " << m.status().ToString();  // never half-written
      manifest_bytes[m->snapshot_id] = m->raw;
      for (const ManifestFileRef& f : m->files) {
        auto exists = store_.Exists(f.path);
        ASSERT_TRUE(exists.ok() && *exists)
            << "manifest " << m->snapshot_id << " names a missing data file " << f.path;
        EXPECT_EQ(std::filesystem::file_size(root() + "/" + f.path), f.size_bytes) << f.path;
      }
    }

    // Partition copies are written after the canonical manifest: each one present is a
    // byte-identical copy of an existing canonical manifest (a crash may leave copies unwritten).
    auto all = store_.List("datasets/quarry/partitions/");
    ASSERT_TRUE(all.ok());
    for (const std::string& key : *all) {
      if (!key.ends_with("/manifest.json")) continue;
      auto it = manifest_bytes.find(SnapshotIdIn(key));
      ASSERT_NE(it, manifest_bytes.end()) << "partition manifest without canonical: " << key;
      EXPECT_EQ(*store_.Get(key), it->second) << key;
    }

    // A pointer naming a snapshot without a manifest is stale and readers fall back to a scan;
    // either way the chain from the head is whole and holds every canonical manifest.
    auto chain = WalkChain(store_, "quarry");
    ASSERT_TRUE(chain.ok()) << chain.status().ToString();
    EXPECT_EQ(chain->size(), canonical->size()) << "a committed snapshot fell off the chain";
    std::map<std::string, std::vector<int64_t>> seqs;  // run -> seqs over the whole chain
    for (const Manifest& m : *chain) {
      auto cached = read_.find(m.snapshot_id);
      if (cached == read_.end()) {
        auto records = ReadSnapshotRecords(store_, m);
        ASSERT_TRUE(records.ok()) << m.snapshot_id << ": " << records.status().ToString();
        EXPECT_EQ(records->size(), m.row_count);
        std::map<std::string, std::vector<int64_t>> of_snapshot;
        for (const auto& r : *records) {
          of_snapshot[r["run_id"].get<std::string>()].push_back(r["seq"].get<int64_t>());
        }
        cached = read_.emplace(m.snapshot_id, std::move(of_snapshot)).first;
      }
      for (const auto& [run, s] : cached->second) {
        seqs[run].insert(seqs[run].end(), s.begin(), s.end());
      }
    }
    for (auto& [run, s] : seqs) {
      // Whole writes only, each exactly once: 1..k*kEventsPerWrite without gaps or duplicates.
      std::sort(s.begin(), s.end());
      EXPECT_EQ(s.size() % kEventsPerWrite, 0u) << run << " has a partial write";
      for (size_t i = 0; i < s.size(); ++i) {
        ASSERT_EQ(s[i], static_cast<int64_t>(i) + 1) << run << ": a gap or a duplicate";
      }
    }
  }

 private:
  std::string root() const {
    return std::string(std::string_view(store_.RootId()).substr(3));  // "fs:<root>"
  }
  Store& store_;
  std::map<std::string, std::map<std::string, std::vector<int64_t>>> read_;
};

TEST(CrashDuringCommitTest, KillAtEveryStepOfTheCommitSequence) {
  testing::TempDir dir;
  auto store = *OpenFsStore(dir.path());
  CrashChecker check(*store);
  // One warm-up write, so the children commit on top of an existing chain.
  Child first = Fork(dir.path(), "warmup", 1, 0, false);
  ASSERT_FALSE(Reap(first, "warmup"));

  // Two snapshots of four partitions: 4 data puts, 1 CAS, 5 manifest puts each.
  constexpr int kMutationsPerTwoWrites = 20;
  int killed = 0;
  for (int op = 1; op <= kMutationsPerTwoWrites; ++op) {
    for (bool after : {false, true}) {
      const std::string run = "op" + std::to_string(op) + (after ? "after" : "before");
      Child c = Fork(dir.path(), run, 2, op, after);
      if (Reap(c, run)) ++killed;
      check.ExpectConsistent(run);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  EXPECT_EQ(killed, 2 * kMutationsPerTwoWrites);

  Child last = Fork(dir.path(), "after-crashes", 2, 0, false);
  ASSERT_FALSE(Reap(last, "after-crashes"));
  check.ExpectConsistent("after-crashes");
  auto chain = WalkChain(*store, "quarry");
  ASSERT_TRUE(chain.ok());
  auto head = ReadSnapshotRecords(*store, chain->front());
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->front()["run_id"], "after-crashes");
}

TEST(CrashDuringCommitTest, KillAtRandomInstantsDuringCommits) {
  testing::TempDir dir;
  auto store = *OpenFsStore(dir.path());
  CrashChecker check(*store);
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  constexpr int kKills = 30;
  for (int i = 0; i < kKills; ++i) {
    const std::string run = "random" + std::to_string(i);
    Child c = Fork(dir.path(), run, 0, 0, false);
    // Two finished writes give the length of one; the kill then lands at a uniformly random
    // point of the next write (encoding is a small part of it, the commit the rest).
    char b;
    ASSERT_EQ(::read(c.progress, &b, 1), 1);
    const auto t1 = std::chrono::steady_clock::now();
    ASSERT_EQ(::read(c.progress, &b, 1), 1);
    const auto one_write = std::chrono::steady_clock::now() - t1;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::this_thread::sleep_for(
        std::chrono::duration_cast<std::chrono::microseconds>(one_write * u(rng)));
    ::kill(c.pid, SIGKILL);
    EXPECT_TRUE(Reap(c, run));
    check.ExpectConsistent(run);
    if (::testing::Test::HasFatalFailure()) return;
  }
  Child last = Fork(dir.path(), "after-crashes", 2, 0, false);
  ASSERT_FALSE(Reap(last, "after-crashes"));
  check.ExpectConsistent("after-crashes");
}

}  // namespace
}  // namespace quarry::lode
