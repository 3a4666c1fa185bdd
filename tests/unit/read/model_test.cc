// The read model over datasets written by the real RunWriter (memory store) and over the
// hand-written original-layout fixture (no run descriptors).
#include <gtest/gtest.h>

#include <filesystem>

#include "lode/test_events.h"
#include "lode/test_support.h"
#include "quarry/lode/run_writer.h"
#include "quarry/read/digest_cache.h"
#include "quarry/read/model.h"
#include "read/test_dataset.h"

namespace quarry::read {
namespace {

using lode::RunDescriptor;
using lode::RunWriter;
using testing::Desc;
using testing::EnqueuePayload;
using testing::Ev;
using testing::Metrics;

// Everything the commands show, as one string, to compare two loads of the same dataset.
std::string Summary(const Dataset& d) {
  std::string out;
  for (const Run& r : d.runs()) {
    out += r.run_id + " " + std::string(Name(r.state)) + " " + r.outcome.value_or("-") + " " +
           r.started_at + " " + r.ended_at.value_or("-") + " " + r.executor + " " +
           std::to_string(r.sidecar_files.size()) + " " + std::to_string(r.children.size()) + " " +
           (r.fanout ? r.fanout->enqueued_by_event_id : "-") + "\n";
  }
  for (const Job& j : d.jobs()) out += j.job_id + " " + std::string(Name(j.state)) + "\n";
  for (const Task& t : d.tasks()) {
    out += t.task_id + " " + std::string(Name(t.state)) + " " + t.run_id.value_or("-") + "\n";
  }
  for (const Executor& e : d.executors())
    out += e.executor_id + " " + std::string(Name(e.state)) + "\n";
  return out;
}

// root (job-1, succeeded, enqueues two tasks, a sidecar), child (job-1, link to the first task,
// script_error), live (job-2, no metrics), crash (no job, other executor, executor_crash with an
// IPC decode error), and run-10 next to run-1 for exact matching.
class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = lode::NewMemStore();
    const auto opts = lode::testing::FastOptions();
    root_ = Desc("root", "2026-03-22T09:00:00.000Z", "job-1");
    RunWriter root(store_, root_, opts);
    ASSERT_TRUE(root.WriteEvents(std::vector{Ev(root_, 1, "item", "e-root-1")}).ok());
    ASSERT_TRUE(root.PutSidecar("page.html", "text/html", "<html></html>").ok());
    ASSERT_TRUE(
        root.WriteEvents(std::vector{Ev(root_, 2, "enqueue", "task-a", EnqueuePayload("a.mjs")),
                                     Ev(root_, 3, "enqueue", "task-b", EnqueuePayload("b.mjs"))})
            .ok());
    ASSERT_TRUE(root.WriteEvents(std::vector{Ev(root_, 4, "run_complete", "e-root-4")}).ok());
    ASSERT_TRUE(
        root.WriteMetrics(Metrics(root_, "2026-03-22T09:00:05Z", "success", 1, 0, 0, 4)).ok());

    child_ = Desc("child", "2026-03-22T09:00:01.000Z", "job-1");
    child_.fanout = lode::FanoutLink{"root", "task-a", 1};
    RunWriter child(store_, child_, opts);
    ASSERT_TRUE(child.WriteEvents(std::vector{Ev(child_, 1, "item", "e-child-1")}).ok());
    ASSERT_TRUE(
        child
            .WriteMetrics(Metrics(child_, "2026-03-22T09:00:02Z", "script_error", 0, 1, 0, 1, 0,
                                  ",\"enqueued_by_event_id\":\"task-a\","
                                  "\"enqueued_by_run_id\":\"root\",\"fanout_depth\":1"))
            .ok());

    live_ = Desc("live", "2026-03-22T10:00:00.000Z", "job-2");
    RunWriter live(store_, live_, opts);
    ASSERT_TRUE(live.WriteEvents(std::vector{Ev(live_, 1, "item", "e-live-1")}).ok());

    crash_ = Desc("crash", "2026-03-22T08:00:00.000Z", std::nullopt, "other.mjs");
    RunWriter crash(store_, crash_, opts);
    ASSERT_TRUE(
        crash.WriteMetrics(Metrics(crash_, "2026-03-22T08:00:03Z", "executor_crash", 0, 0, 1, 7, 1))
            .ok());
    for (const char* id : {"run-1", "run-10"}) {
      RunDescriptor d = Desc(id, "2026-03-22T07:00:00.000Z", std::nullopt);
      RunWriter w(store_, d, opts);
      ASSERT_TRUE(
          w.WriteMetrics(Metrics(d, std::string("2026-03-22T07:00:0") + (id[5] ? "2" : "1") + "Z",
                                 "success", 1, 0, 0, id[5] ? 10 : 1))
              .ok());
    }
  }

  Dataset Load(DigestCache* cache = nullptr, ScanStats* stats = nullptr) {
    ScanOptions o;
    o.cache = cache;
    auto scan = ScanDataset(*store_, "quarry", o);
    EXPECT_TRUE(scan.ok()) << scan.status().message();
    if (stats) *stats = scan->stats;
    return Dataset(std::move(*scan));
  }

  std::shared_ptr<lode::Store> store_;
  RunDescriptor root_, child_, live_, crash_;
};

TEST_F(ModelTest, RunsCarryStateOutcomeSidecarsLinkAndChildren) {
  Dataset d = Load();
  ASSERT_EQ(d.runs().size(), 6u);
  // Newest first by started_at.
  EXPECT_EQ(d.runs().front().run_id, "live");
  const read::Run* root = d.FindRun("root");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->state, RunState::kSucceeded);
  EXPECT_EQ(root->outcome, "success");
  EXPECT_EQ(root->ended_at, "2026-03-22T09:00:05Z");
  EXPECT_EQ(root->job_id, "job-1");
  ASSERT_EQ(root->sidecar_files.size(), 1u);
  EXPECT_EQ(root->sidecar_files[0].filename, "page.html");
  EXPECT_EQ(root->sidecar_files[0].size, 13u);
  EXPECT_EQ(root->children, std::vector<std::string>{"child"});
  EXPECT_FALSE(root->fanout);
  EXPECT_EQ(root->snapshots.size(), 4u);  // item, enqueue, run_complete, metrics
  ASSERT_NE(root->metrics, nullptr);

  const read::Run* child = d.FindRun("child");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->state, RunState::kFailed);
  EXPECT_EQ(child->outcome, "script_error");
  EXPECT_EQ(child->message, "msg script_error");
  ASSERT_TRUE(child->fanout);
  EXPECT_EQ(child->fanout->enqueued_by_run_id, "root");
  EXPECT_EQ(child->fanout->enqueued_by_event_id, "task-a");
  EXPECT_EQ(child->fanout->depth, 1);

  const read::Run* live = d.FindRun("live");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->state, RunState::kRunning);
  EXPECT_FALSE(live->ended_at);
  EXPECT_FALSE(live->outcome);
  EXPECT_EQ(d.FindRun("nope"), nullptr);
}

TEST_F(ModelTest, JobsTasksExecutorsAndCounts) {
  Dataset d = Load();
  const Job* j1 = d.FindJob("job-1");
  ASSERT_NE(j1, nullptr);
  // The root succeeded; its failed fan-out child does not decide the job (§6.3).
  EXPECT_EQ(j1->state, JobState::kCompleted);
  EXPECT_EQ(j1->run_ids, (std::vector<std::string>{"root", "child"}));
  EXPECT_EQ(d.FindJob("job-2")->state, JobState::kRunning);

  const Task* a = d.FindTask("task-a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->state, TaskState::kFailed);
  EXPECT_EQ(a->run_id, "child");
  EXPECT_EQ(a->enqueued_by, "root");
  EXPECT_EQ(a->target, nlohmann::json("a.mjs"));
  const Task* b = d.FindTask("task-b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->state, TaskState::kUnscheduled);
  EXPECT_FALSE(b->run_id);

  const Executor* primary = d.FindExecutor("executor.mjs");
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->state, ExecutorState::kRunning);  // "live" is still running
  EXPECT_EQ(primary->last_seen_at, "2026-03-22T10:00:00.000Z");
  EXPECT_EQ(d.FindExecutor("other.mjs")->state, ExecutorState::kFailed);

  Counts runs = CountRuns(d);
  EXPECT_EQ(runs.total, 6u);
  EXPECT_EQ(runs.running, 1u);
  EXPECT_EQ(runs.succeeded, 3u);
  EXPECT_EQ(runs.failed, 2u);
  Counts tasks = CountTasks(d);
  EXPECT_EQ(tasks.total, 2u);
  EXPECT_EQ(tasks.failed, 1u);
  EXPECT_EQ(tasks.running + tasks.succeeded, 0u);  // unscheduled counts only in total
  Counts jobs = CountJobs(d);
  EXPECT_EQ(jobs.total, 2u);
  EXPECT_EQ(jobs.succeeded, 1u);
  EXPECT_EQ(jobs.running, 1u);
  Counts ex = CountExecutors(d);
  EXPECT_EQ(ex.total, 2u);
  EXPECT_EQ(ex.running, 1u);
  EXPECT_EQ(ex.failed, 1u);
}

TEST_F(ModelTest, MetricsViewExactRunAndAggregate) {
  Dataset d = Load();
  auto one = MetricsView(d, "run-1", "");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)["events_received_total"], 1);  // not run-10's 10
  EXPECT_FALSE(one->contains("runs"));
  EXPECT_FALSE(one->contains("job_id"));

  auto all = MetricsView(d, "", "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)["runs"], 5);
  EXPECT_EQ((*all)["events_received_total"], 4 + 1 + 7 + 1 + 10);
  EXPECT_EQ((*all)["runs_completed_total"], 3);
  EXPECT_EQ((*all)["runs_failed_total"], 1);
  EXPECT_EQ((*all)["executor"], "mixed");
  EXPECT_EQ((*all)["policy"], "strict");
  EXPECT_FALSE(all->contains("job_id"));  // job-1 and none
  // The newest record by snapshot order.
  EXPECT_EQ((*all)["run_id"], "run-10");
  std::vector<std::string> keys;
  for (auto it = all->begin(); it != all->end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys.front(), "ts");
  EXPECT_EQ(keys.back(), "runs");

  EXPECT_EQ(MetricsView(d, "", "elsewhere").status().message(), "no metrics records found");
  EXPECT_EQ(MetricsView(d, "live", "").status().message(), "no metrics records found");
}

TEST_F(ModelTest, IpcViewFromMetrics) {
  Dataset d = Load();
  auto v = IpcView(d, "", true);
  EXPECT_EQ(v["transport"], "stdio");
  EXPECT_EQ(v["encoding"], "msgpack");
  EXPECT_EQ(v["messages_sent"], 23);
  EXPECT_EQ(v["errors"], 1);
  EXPECT_EQ(v["last_error"], "msg executor_crash");
  ASSERT_EQ(v["recent_errors"].size(), 1u);
  EXPECT_EQ(v["recent_errors"][0]["run_id"], "crash");
  auto quiet = IpcView(d, "root", false);
  EXPECT_TRUE(quiet["last_error"].is_null());
  EXPECT_FALSE(quiet.contains("recent_errors"));
}

TEST_F(ModelTest, DigestCacheServesTheSecondScanWithoutStoreReads) {
  lode::testing::TempDir dir;
  ScanStats cold, warm;
  std::string first;
  {
    auto cache = DigestCache::Open(dir.path(), *store_, "quarry");
    ASSERT_TRUE(cache.ok()) << cache.status().message();
    Dataset d = Load(cache->get(), &cold);
    first = Summary(d);
  }
  EXPECT_GT(cold.manifest_reads, 0u);
  EXPECT_EQ(cold.cache_hits, 0u);
  auto cache = DigestCache::Open(dir.path(), *store_, "quarry");
  ASSERT_TRUE(cache.ok());
  Dataset d = Load(cache->get(), &warm);
  EXPECT_EQ(warm.manifest_reads, 0u);
  EXPECT_EQ(warm.data_reads, 0u);
  EXPECT_EQ(warm.cache_hits, cold.manifests_listed);
  EXPECT_EQ(Summary(d), first);
}

}  // namespace
}  // namespace quarry::read

namespace quarry::read {
namespace {

TEST(MetricsViewTest, RecordMissingARequiredFieldIsAnError) {
  auto store = lode::NewMemStore();
  RunDescriptor d = lode::testing::ExampleRun();
  lode::RunWriter w(store, d, lode::testing::FastOptions());
  // No storage_backend (§6.7).
  ASSERT_TRUE(
      w.WriteMetrics(
           R"({"event_type":"metrics","executor":"executor.mjs","policy":"strict","record_kind":"metrics","run_id":"run-001","source":"shop","ts":"2026-03-22T09:15:01Z"})")
          .ok());
  auto scan = ScanDataset(*store, "quarry");
  ASSERT_TRUE(scan.ok());
  Dataset ds(std::move(*scan));
  EXPECT_EQ(MetricsView(ds, "", "").status().message(),
            "metrics record missing required field: storage_backend");
  EXPECT_EQ(MetricsView(ds, "run-001", "").status().message(),
            "metrics record missing required field: storage_backend");
}

}  // namespace
}  // namespace quarry::read
