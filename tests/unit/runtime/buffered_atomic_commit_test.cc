// Decision D10 (checklist §10 item 9): under buffered, a reader polling the dataset while the run
// ingests sees none of the run's events; after the end-of-run flush it sees all of them in one
// snapshot, preceded by the one chunk snapshot holding the artifact bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "quarry/lode/reader.h"
#include "quarry/lode/run_writer.h"
#include "quarry/lode/store.h"
#include "quarry/policy/policy.h"
#include "test_frames.h"

namespace quarry::policy {
namespace {

using policy_testing::ArtifactEventPayload;
using policy_testing::EventFrom;
using policy_testing::MakeChunk;
using policy_testing::MakeEvent;

lode::RunDescriptor TestRun() {
  lode::RunDescriptor run;
  run.run_id = std::string(policy_testing::kRunId);
  run.source = "shop";
  run.day = "2026-03-22";
  run.policy = "buffered";
  run.executor = "executor.js";
  run.started_at = "2026-03-22T09:15:00.000Z";
  return run;
}

TEST(BufferedAtomicCommitTest, ReadersSeeTheWholeRunInOneSnapshotOrNothing) {
  std::shared_ptr<lode::Store> store = lode::NewMemStore();
  lode::RunWriter writer(store, TestRun());
  PolicyConfig config;
  config.name = "buffered";
  config.buffer_bytes = 64 << 20;
  auto policy = NewPolicy(config, &writer);
  ASSERT_TRUE(policy.ok());

  std::atomic<bool> done{false};
  std::atomic<int> polls{0};
  std::atomic<int> seen_during_run{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto manifests = lode::ListCanonicalManifests(*store, "quarry");
      if (manifests.ok() && !manifests->empty()) seen_during_run.fetch_add(1);
      polls.fetch_add(1);
      std::this_thread::yield();
    }
  });

  constexpr int64_t kItems = 2000;
  int64_t seq = 1;
  for (; seq <= kItems; ++seq) {
    ASSERT_TRUE((*policy)->IngestEvent(MakeEvent(seq % 50 == 0 ? "log" : "item", seq)).ok());
  }
  ASSERT_TRUE((*policy)->IngestChunk(MakeChunk("art-1", 1, "png-bytes", true, 0)).ok());
  ASSERT_TRUE((*policy)->IngestEvent(EventFrom(ArtifactEventPayload(seq++, "art-1", 9))).ok());
  ASSERT_TRUE((*policy)->IngestEvent(MakeEvent("run_complete", seq)).ok());
  while (polls.load() < 10) std::this_thread::yield();
  done.store(true);
  reader.join();
  EXPECT_EQ(seen_during_run.load(), 0);
  EXPECT_TRUE(store->List("datasets/").value().empty());

  ASSERT_TRUE((*policy)->Flush().ok());
  auto chain = lode::WalkChain(*store, "quarry");
  ASSERT_TRUE(chain.ok()) << chain.status().message();
  ASSERT_EQ(chain->size(), 2u);  // newest first: events, then chunks
  auto events = lode::ReadSnapshotRecords(*store, (*chain)[0]);
  auto chunks = lode::ReadSnapshotRecords(*store, (*chain)[1]);
  ASSERT_TRUE(events.ok() && chunks.ok());
  ASSERT_EQ(chunks->size(), 1u);
  EXPECT_EQ((*chunks)[0]["record_kind"], "artifact_chunk");
  ASSERT_EQ(events->size(), static_cast<size_t>(kItems + 2));
  std::vector<int64_t> seqs;
  for (const auto& r : *events) {
    EXPECT_EQ(r["policy"], "buffered");
    seqs.push_back(r["seq"].get<int64_t>());
  }
  std::sort(seqs.begin(), seqs.end());  // grouped by partition (event type) in the snapshot
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], static_cast<int64_t>(i + 1));
  EXPECT_EQ((*policy)->Stats().events_persisted, static_cast<uint64_t>(kItems + 2));
}

}  // namespace
}  // namespace quarry::policy
