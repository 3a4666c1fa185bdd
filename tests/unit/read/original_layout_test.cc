// A dataset as the original Go Quarry wrote it (tests/fixtures/read/original-layout, made by
// make_original_layout.py): no run descriptors, so runs come from the run_id= path segments and
// their attributes and outcomes from the records (storage-and-policies.md §6.1 step 4, §4.14).
#include <gtest/gtest.h>

#include "quarry/lode/store.h"
#include "quarry/read/model.h"

namespace quarry::read {
namespace {

Dataset LoadFixture(ScanStats* stats = nullptr) {
  auto store =
      lode::OpenFsStore(std::string(QUARRY_SOURCE_DIR) + "/tests/fixtures/read/original-layout");
  EXPECT_TRUE(store.ok()) << store.status().message();
  auto scan = ScanDataset(**store, "quarry");
  EXPECT_TRUE(scan.ok()) << scan.status().message();
  if (stats) *stats = scan->stats;
  return Dataset(std::move(*scan));
}

TEST(OriginalLayoutTest, RunsDerivedFromPathsAndRecords) {
  ScanStats stats;
  Dataset d = LoadFixture(&stats);
  EXPECT_EQ(stats.manifests_listed, 9u);
  EXPECT_EQ(stats.data_reads, 9u);  // no descriptors: every data file is read once
  ASSERT_EQ(d.runs().size(), 4u);
  EXPECT_EQ(d.runs().front().run_id, "orig-live");

  const read::Run* ok = d.FindRun("orig-ok");
  ASSERT_NE(ok, nullptr);
  EXPECT_TRUE(ok->original);
  EXPECT_EQ(ok->state, RunState::kSucceeded);
  EXPECT_EQ(ok->outcome, "success");
  EXPECT_EQ(ok->started_at, "2025-11-02T10:00:01.5Z");  // the earliest event ts
  EXPECT_EQ(ok->ended_at, "2025-11-02T10:00:04Z");
  EXPECT_EQ(ok->job_id, "job-orig");
  EXPECT_EQ(ok->policy, "strict");
  EXPECT_EQ(ok->executor, "executor.js");
  EXPECT_EQ(ok->attempt, 1);
  EXPECT_EQ(ok->snapshots.size(), 4u);

  const read::Run* crash = d.FindRun("orig-crash");
  EXPECT_EQ(crash->state, RunState::kFailed);
  EXPECT_EQ(crash->outcome, "executor_crash");

  const read::Run* err = d.FindRun("orig-err");
  EXPECT_EQ(err->outcome, "script_error");  // failed counter + a run_error event
  EXPECT_EQ(err->message, "boom: selector not found");
  EXPECT_FALSE(err->job_id);

  const read::Run* live = d.FindRun("orig-live");
  EXPECT_EQ(live->state, RunState::kRunning);
  EXPECT_FALSE(live->ended_at);

  const Job* job = d.FindJob("job-orig");
  ASSERT_NE(job, nullptr);
  // Both runs are roots; the most recent one (orig-crash) failed.
  EXPECT_EQ(job->state, JobState::kFailed);
  EXPECT_EQ(job->run_ids, (std::vector<std::string>{"orig-ok", "orig-crash"}));

  const Executor* ex = d.FindExecutor("executor.js");
  ASSERT_NE(ex, nullptr);
  EXPECT_EQ(ex->state, ExecutorState::kIdle);  // its newest finished run ended script_error

  auto metrics = MetricsView(d, "", "shop");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ((*metrics)["runs"], 3);
  EXPECT_EQ((*metrics)["runs_crashed_total"], 1);
}

}  // namespace
}  // namespace quarry::read
