// BatchExtraction, BatchChunk and LargeBatchExtraction replayed on synthetic histories: bounded
// parallelism, per-run retries with lineage, the aggregate, runs read from a file by reference,
// chunking into child workflows with deterministic ids, cancellation and notification.
#include <gtest/gtest.h>

#include <deque>

#include "history_builder.h"
#include "temporal/api/enums/v1/command_type.pb.h"
#include "workflows/registry.h"
#include "workflows/replay.h"
#include "workflows/run_id.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;
using testing::HistoryBuilder;
namespace enums = ::temporal::api::enums::v1;

constexpr char kWorkflowId[] = "batch-1";
constexpr char kRunId[] = "aaaaaaaa-2222-3333-4444-555555555555";

json Defaults() {
  return {
      {"script", "/s.mjs"}, {"source", "shop"}, {"storage", {{"backend", "fs"}, {"path", "/d"}}}};
}

json Runs(int n) {
  json runs = json::array();
  for (int i = 0; i < n; ++i) runs.push_back({{"job", {{"page", i}}}});
  return runs;
}

json BatchInput(int n, int max_parallel) {
  return {{"defaults", Defaults()},
          {"runs", Runs(n)},
          {"max_parallel", max_parallel},
          {"retry", {{"max_attempts", 2}, {"initial_interval", "1s"}}}};
}

ReplayResult Replay(const HistoryBuilder& h, const std::string& type = "BatchExtraction") {
  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id(kWorkflowId);
  ex.set_run_id(kRunId);
  return ReplayHistory(&CreateWorkflow, ex, type, h.history());
}

std::vector<std::string> ActivityIds(const ReplayResult& r) {
  std::vector<std::string> ids;
  for (const auto& c : r.commands) {
    if (c.command_type() == enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK) {
      ids.push_back(c.schedule_activity_task_command_attributes().activity_id());
    }
  }
  return ids;
}

json Input(const command_pb::Command& c) {
  StatusOr<std::optional<json>> v = InvalidArgumentError("not an input command");
  if (c.command_type() == enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK) {
    v = DecodeSingleArgument(c.schedule_activity_task_command_attributes().input());
  } else if (c.command_type() == enums::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION) {
    v = DecodeSingleArgument(c.start_child_workflow_execution_command_attributes().input());
  }
  EXPECT_TRUE(v.ok());
  return v.ok() && *v ? **v : json();
}

json Closing(const ReplayResult& r, enums::CommandType type) {
  EXPECT_FALSE(r.commands.empty());
  if (r.commands.empty()) return json();
  const auto& c = r.commands.back();
  EXPECT_EQ(c.command_type(), type) << r.message;
  StatusOr<std::optional<json>> v = InvalidArgumentError("no payload");
  if (type == enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION) {
    v = DecodeSingleArgument(c.complete_workflow_execution_command_attributes().result());
  } else if (type == enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION) {
    v = DecodeSingleArgument(c.cancel_workflow_execution_command_attributes().details());
  }
  return v.ok() && *v ? **v : json();
}

std::string RunSeed(int index) { return std::string(kRunId) + "/run-" + std::to_string(index); }

json Success(int index, int attempt = 1) {
  return {{"outcome", "success"}, {"run_id", AttemptRunId(RunSeed(index), attempt)}};
}

TEST(TemporalBatchWorkflowTest, StartsAtMostMaxParallelRunsWithDerivedIdsAndMergedTemplates) {
  json input = BatchInput(3, 2);
  input["runs"][1]["source"] = "other";
  input["runs"][1]["job_id"] = "explicit";
  HistoryBuilder h(input);
  h.TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"run-0/attempt-1", "run-1/attempt-1"}));
  json in0 = Input(r.commands[0]);
  EXPECT_EQ(in0["run_id"], AttemptRunId(RunSeed(0), 1));
  EXPECT_EQ(in0["attempt"], 1);
  EXPECT_EQ(in0["job_id"], "batch-1/run-0");
  EXPECT_EQ(in0["source"], "shop");
  EXPECT_EQ(in0["job"]["page"], 0);
  EXPECT_EQ(in0["storage"]["path"], "/d");
  json in1 = Input(r.commands[1]);
  EXPECT_EQ(in1["source"], "other");
  EXPECT_EQ(in1["job_id"], "explicit");
  EXPECT_NE(in0["run_id"], in1["run_id"]);
  EXPECT_EQ(
      r.commands[0].schedule_activity_task_command_attributes().retry_policy().maximum_attempts(),
      1);
}

TEST(TemporalBatchWorkflowTest, QueuedRunsHaveNoScheduleToStartTimeoutUnlessAsked) {
  HistoryBuilder h(BatchInput(1, 1));
  h.TaskStarted();
  ReplayResult r = Replay(h);
  const auto& a = r.commands[0].schedule_activity_task_command_attributes();
  EXPECT_FALSE(a.has_schedule_to_start_timeout());
  EXPECT_EQ(a.heartbeat_timeout().seconds(), 60);

  json input = BatchInput(1, 1);
  input["activity"] = {{"schedule_to_start_timeout", "10m"}};
  HistoryBuilder h2(input);
  h2.TaskStarted();
  r = Replay(h2);
  EXPECT_EQ(r.commands[0]
                .schedule_activity_task_command_attributes()
                .schedule_to_start_timeout()
                .seconds(),
            600);
}

TEST(TemporalBatchWorkflowTest, AFinishedRunFreesItsSlotAndTheLastCompletesWithTheAggregate) {
  HistoryBuilder h(BatchInput(3, 2));
  h.Task();
  int64_t a0 = h.ActivityScheduled("run-0/attempt-1");
  int64_t a1 = h.ActivityScheduled("run-1/attempt-1");
  h.ActivityCompleted(a0, Success(0)).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  EXPECT_EQ(ActivityIds(r), (std::vector<std::string>{"run-2/attempt-1"}));

  h.TaskCompleted();
  int64_t a2 = h.ActivityScheduled("run-2/attempt-1");
  h.ActivityCompleted(a1, Success(1)).ActivityCompleted(a2, Success(2)).TaskStarted();
  r = Replay(h);
  json agg = Closing(r, enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(agg["total"], 3);
  EXPECT_EQ(agg["succeeded"], 3);
  EXPECT_EQ(agg["failed"], 0);
  EXPECT_TRUE(agg["failed_runs"].empty());
}

TEST(TemporalBatchWorkflowTest, RetriesPerRunWithLineageAndListsFinalFailures) {
  HistoryBuilder h(BatchInput(2, 2));
  h.Task();
  int64_t a0 = h.ActivityScheduled("run-0/attempt-1");
  int64_t a1 = h.ActivityScheduled("run-1/attempt-1");
  h.ActivityFailed(a0, {"SCRIPT_ERROR", "boom", false,
                        json{{"outcome", "script_error"}, {"run_id", AttemptRunId(RunSeed(0), 1)}}})
      .ActivityFailed(
          a1, {"POLICY_FAILURE", "full", true,
               json{{"outcome", "policy_failure"}, {"run_id", AttemptRunId(RunSeed(1), 1)}}})
      .TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);  // run 1 is final; run 0 backs off
  EXPECT_EQ(r.commands[0].start_timer_command_attributes().timer_id(), "run-0/backoff-2");

  h.TaskCompleted().TimerStarted("run-0/backoff-2").TimerFired("run-0/backoff-2").TaskStarted();
  r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"run-0/attempt-2"}));
  json in = Input(r.commands[0]);
  EXPECT_EQ(in["attempt"], 2);
  EXPECT_EQ(in["run_id"], AttemptRunId(RunSeed(0), 2));
  EXPECT_EQ(in["parent_run_id"], AttemptRunId(RunSeed(0), 1));

  h.TaskCompleted();
  int64_t a0b = h.ActivityScheduled("run-0/attempt-2");
  h.ActivityCompleted(a0b, Success(0, 2)).TaskStarted();
  json agg = Closing(Replay(h), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(agg["succeeded"], 1);
  EXPECT_EQ(agg["failed"], 1);
  ASSERT_EQ(agg["failed_runs"].size(), 1u);
  const json& f = agg["failed_runs"][0];
  EXPECT_EQ(f["index"], 1);
  EXPECT_EQ(f["job_id"], "batch-1/run-1");
  EXPECT_EQ(f["run_id"], AttemptRunId(RunSeed(1), 1));
  EXPECT_EQ(f["outcome"], "policy_failure");
  EXPECT_EQ(f["attempts"], 1);
}

TEST(TemporalBatchWorkflowTest, AnInvalidRunIsReportedWithoutStoppingTheOthers) {
  json input = BatchInput(2, 5);
  input["runs"][0]["polcy"] = "strict";
  HistoryBuilder h(input);
  h.TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"run-1/attempt-1"}));
  h.TaskCompleted();
  int64_t a1 = h.ActivityScheduled("run-1/attempt-1");
  h.ActivityCompleted(a1, Success(1)).TaskStarted();
  json agg = Closing(Replay(h), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(agg["failed"], 1);
  EXPECT_EQ(agg["failed_runs"][0]["outcome"], "config_error");
  EXPECT_NE(agg["failed_runs"][0]["message"].get<std::string>().find("polcy"), std::string::npos);
}

TEST(TemporalBatchWorkflowTest, OverFiveHundredRunsOrBadInputFailsAsConfigError) {
  for (const json& input : {BatchInput(501, 10), json{{"runs", Runs(1)}, {"runs_file", "/x"}},
                            json{{"runs", Runs(1)}, {"max_parallel", 0}},
                            json{{"runs", Runs(1)}, {"defaults", {{"run_id", "r"}}}}}) {
    HistoryBuilder h(input);
    h.TaskStarted();
    ReplayResult r = Replay(h);
    ASSERT_EQ(r.commands.size(), 1u);
    ASSERT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
    const auto& f = r.commands[0].fail_workflow_execution_command_attributes().failure();
    EXPECT_EQ(f.application_failure_info().type(), "CONFIG_ERROR") << input.dump();
    EXPECT_TRUE(f.application_failure_info().non_retryable());
  }
}

TEST(TemporalBatchWorkflowTest, RunsFromAFileAreReadOnTheWorkerFirst) {
  json input = {{"defaults", Defaults()}, {"runs_file", "/jobs.jsonl"}, {"max_parallel", 1}};
  HistoryBuilder h(input);
  h.TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"read-runs"}));
  EXPECT_EQ(r.commands[0].schedule_activity_task_command_attributes().activity_type().name(),
            "ReadQuarryBatchRuns");
  json in = Input(r.commands[0]);
  EXPECT_EQ(in["runs_file"], "/jobs.jsonl");
  EXPECT_EQ(in["runs_count"], -1);

  h.TaskCompleted();
  int64_t rd = h.ActivityScheduled("read-runs");
  h.ActivityCompleted(rd, {{"line_count", 2}, {"sha256", "x"}, {"runs", Runs(2)}}).TaskStarted();
  r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"run-0/attempt-1"}));
}

TEST(TemporalBatchWorkflowTest, AChunkNumbersItsRunsGloballyUnderTheParentsJobIds) {
  json input = {{"defaults", Defaults()},    {"runs_file", "/jobs.jsonl"},
                {"runs_file_sha256", "abc"}, {"runs_offset", 500},
                {"runs_count", 2},           {"first_index", 500},
                {"job_id_prefix", "parent/"}};
  HistoryBuilder h(input);
  h.TaskStarted();
  ReplayResult r = Replay(h, "BatchChunk");
  json in = Input(r.commands[0]);
  EXPECT_EQ(in["runs_offset"], 500);
  EXPECT_EQ(in["runs_count"], 2);
  EXPECT_EQ(in["runs_file_sha256"], "abc");
  h.TaskCompleted();
  int64_t rd = h.ActivityScheduled("read-runs");
  h.ActivityCompleted(rd, {{"line_count", 1000}, {"runs", Runs(2)}}).TaskStarted();
  r = Replay(h, "BatchChunk");
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"run-500/attempt-1", "run-501/attempt-1"}));
  EXPECT_EQ(Input(r.commands[1])["job_id"], "parent/run-501");
}

TEST(TemporalBatchWorkflowTest, CancelCancelsRunningRunsThenTheWorkflow) {
  HistoryBuilder h(BatchInput(3, 2));
  h.Task();
  int64_t a0 = h.ActivityScheduled("run-0/attempt-1");
  int64_t a1 = h.ActivityScheduled("run-1/attempt-1");
  h.CancelRequested().TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.commands.size(), 2u);
  EXPECT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
  EXPECT_EQ(r.commands[1].command_type(), enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
  h.TaskCompleted().ActivityCancelRequested(a0).ActivityCancelRequested(a1);
  h.ActivityCanceled(a0).TaskStarted();
  EXPECT_TRUE(Replay(h).commands.empty());  // run 1 still running; run 2 never starts
  h.TaskCompleted().ActivityCompleted(a1, Success(1)).TaskStarted();
  json agg = Closing(Replay(h), enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
  EXPECT_EQ(agg["total"], 3);
  EXPECT_EQ(agg["canceled"], 2);
}

TEST(TemporalBatchWorkflowTest, NotifiesWithTheAggregateBeforeCompleting) {
  json input = BatchInput(1, 1);
  input["notify"] = {{"url", "http://127.0.0.1:1/hook"}, {"headers", {{"X-Token", "s"}}}};
  HistoryBuilder h(input);
  h.Task();
  int64_t a0 = h.ActivityScheduled("run-0/attempt-1");
  h.ActivityCompleted(a0, Success(0)).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"notify"}));
  json in = Input(r.commands[0]);
  EXPECT_EQ(in["url"], "http://127.0.0.1:1/hook");
  EXPECT_EQ(in["body"]["succeeded"], 1);
  EXPECT_EQ(in["body"]["workflow_type"], "BatchExtraction");
  h.TaskCompleted();
  int64_t n = h.ActivityScheduled("notify");
  h.ActivityCompleted(n, {{"status", 200}}).TaskStarted();
  EXPECT_EQ(Closing(Replay(h), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION)["succeeded"], 1);
}

TEST(TemporalLargeBatchWorkflowTest, SplitsInlineRunsIntoBoundedChunksWithDeterministicIds) {
  json input = {{"defaults", Defaults()},
                {"runs", Runs(7)},
                {"chunk_size", 3},
                {"max_parallel_chunks", 2},
                {"max_parallel", 4}};
  HistoryBuilder h(input);
  h.TaskStarted();
  ReplayResult r = Replay(h, "LargeBatchExtraction");
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 2u);
  for (int c = 0; c < 2; ++c) {
    const auto& a = r.commands[c].start_child_workflow_execution_command_attributes();
    EXPECT_EQ(a.workflow_id(), "batch-1/chunk-" + std::to_string(c));
    EXPECT_EQ(a.workflow_type().name(), "BatchChunk");
    EXPECT_EQ(a.parent_close_policy(), enums::PARENT_CLOSE_POLICY_REQUEST_CANCEL);
    json in = Input(r.commands[c]);
    EXPECT_EQ(in["first_index"], c * 3);
    EXPECT_EQ(in["job_id_prefix"], "batch-1/");
    EXPECT_EQ(in["max_parallel"], 4);
    EXPECT_EQ(in["runs"].size(), 3u);
    EXPECT_EQ(in["runs"][0]["job"]["page"], c * 3);
    EXPECT_FALSE(in.contains("chunk_size"));
  }

  h.TaskCompleted();
  int64_t c0 = h.ChildInitiated("batch-1/chunk-0");
  int64_t c1 = h.ChildInitiated("batch-1/chunk-1");
  h.ChildStarted(c0).ChildStarted(c1);
  h.ChildCompleted(c0, {{"total", 3},
                        {"succeeded", 2},
                        {"failed", 1},
                        {"canceled", 0},
                        {"failed_runs", json::array({{{"index", 1}, {"run_id", "r1"}}})}})
      .TaskStarted();
  r = Replay(h, "LargeBatchExtraction");
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].start_child_workflow_execution_command_attributes().workflow_id(),
            "batch-1/chunk-2");
  EXPECT_EQ(Input(r.commands[0])["runs"].size(), 1u);

  h.TaskCompleted();
  int64_t c2 = h.ChildInitiated("batch-1/chunk-2");
  h.ChildFailed(c1, {"CONFIG_ERROR", "bad", true, std::nullopt})
      .ChildCompleted(
          c2, {{"total", 1}, {"succeeded", 1}, {"failed", 0}, {"failed_runs", json::array()}})
      .TaskStarted();
  json agg =
      Closing(Replay(h, "LargeBatchExtraction"), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(agg["total"], 7);
  EXPECT_EQ(agg["succeeded"], 3);
  EXPECT_EQ(agg["failed"], 4);  // 1 run of chunk 0 + the 3 runs of chunk 1
  EXPECT_EQ(agg["failed_runs"][0]["run_id"], "r1");
  ASSERT_EQ(agg["failed_chunks"].size(), 1u);
  EXPECT_EQ(agg["failed_chunks"][0]["workflow_id"], "batch-1/chunk-1");
  EXPECT_EQ(agg["failed_chunks"][0]["runs"], 3);
}

TEST(TemporalLargeBatchWorkflowTest, ARunsFileIsCountedThenPassedByReferenceAndDigest) {
  json input = {{"defaults", Defaults()}, {"runs_file", "/jobs.jsonl"}, {"max_parallel_chunks", 8}};
  HistoryBuilder h(input);
  h.TaskStarted();
  ReplayResult r = Replay(h, "LargeBatchExtraction");
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"read-runs"}));
  EXPECT_EQ(Input(r.commands[0])["runs_count"], 0);
  h.TaskCompleted();
  int64_t rd = h.ActivityScheduled("read-runs");
  h.ActivityCompleted(rd, {{"line_count", 1200}, {"sha256", "d1g"}, {"runs", json::array()}})
      .TaskStarted();
  r = Replay(h, "LargeBatchExtraction");
  ASSERT_EQ(r.commands.size(), 3u);
  json last = Input(r.commands[2]);
  EXPECT_EQ(last["runs_file"], "/jobs.jsonl");
  EXPECT_EQ(last["runs_file_sha256"], "d1g");
  EXPECT_EQ(last["runs_offset"], 1000);
  EXPECT_EQ(last["runs_count"], 200);
  EXPECT_EQ(last["first_index"], 1000);
  EXPECT_FALSE(last.contains("runs"));
}

// A terminated chunk reported nothing: the parent asks a worker which of its runs Lode shows
// succeeded and counts only the others as failed.
TEST(TemporalLargeBatchWorkflowTest, ATerminatedChunkCountsTheRunsLodeShowsSucceeded) {
  json input = {{"defaults", Defaults()},
                {"runs", Runs(5)},
                {"chunk_size", 3},
                {"max_parallel_chunks", 2},
                {"retry", {{"max_attempts", 2}}}};
  HistoryBuilder h(input);
  h.Task();
  int64_t c0 = h.ChildInitiated("batch-1/chunk-0");
  int64_t c1 = h.ChildInitiated("batch-1/chunk-1");
  h.ChildStarted(c0).ChildStarted(c1);
  h.ChildCompleted(c1,
                   {{"total", 2}, {"succeeded", 2}, {"failed", 0}, {"failed_runs", json::array()}})
      .ChildTerminated(c0, "chunk0-run")
      .TaskStarted();
  ReplayResult r = Replay(h, "LargeBatchExtraction");
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"chunk-0/outcomes"}));
  ASSERT_EQ(r.commands.size(), 2u);  // the patch marker, then the activity
  EXPECT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_RECORD_MARKER);
  const auto& a = r.commands[1].schedule_activity_task_command_attributes();
  EXPECT_EQ(a.activity_type().name(), "ReadQuarryChunkOutcomes");
  json in = Input(r.commands[1]);
  EXPECT_EQ(in["storage"], Defaults()["storage"]);
  EXPECT_EQ(in["chunk_run_id"], "chunk0-run");
  EXPECT_EQ(in["first_index"], 0);
  EXPECT_EQ(in["count"], 3);
  EXPECT_EQ(in["max_attempts"], 2);

  h.TaskCompleted().PatchMarker("chunk-outcomes-from-lode");
  int64_t rd = h.ActivityScheduled("chunk-0/outcomes");
  h.ActivityCompleted(rd, {{"succeeded", json::array({0, 2})}}).TaskStarted();
  json agg =
      Closing(Replay(h, "LargeBatchExtraction"), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(agg["total"], 5);
  EXPECT_EQ(agg["succeeded"], 4);
  EXPECT_EQ(agg["failed"], 1);
  ASSERT_EQ(agg["failed_chunks"].size(), 1u);
  EXPECT_EQ(agg["failed_chunks"][0]["workflow_id"], "batch-1/chunk-0");
  EXPECT_EQ(agg["failed_chunks"][0]["succeeded_indices"], json::array({0, 2}));
  EXPECT_EQ(agg["failed_chunks"][0]["message"], "child workflow terminated");
}

// When Lode cannot be read, the chunk's runs stay failed and the message says why.
TEST(TemporalLargeBatchWorkflowTest, AnUnreadableLodeLeavesTheTerminatedChunkFailed) {
  json input = {{"defaults", Defaults()}, {"runs", Runs(2)}, {"chunk_size", 2}};
  HistoryBuilder h(input);
  h.Task();
  int64_t c0 = h.ChildInitiated("batch-1/chunk-0");
  h.ChildStarted(c0).ChildTerminated(c0, "chunk0-run").Task();
  h.PatchMarker("chunk-outcomes-from-lode");
  int64_t rd = h.ActivityScheduled("chunk-0/outcomes");
  h.ActivityFailed(rd, {"LODE_READ_ERROR", "reading the dataset: boom", false, std::nullopt})
      .TaskStarted();
  json agg =
      Closing(Replay(h, "LargeBatchExtraction"), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(agg["succeeded"], 0);
  EXPECT_EQ(agg["failed"], 2);
  EXPECT_FALSE(agg["failed_chunks"][0].contains("succeeded_indices"));
  EXPECT_NE(agg["failed_chunks"][0]["message"].get<std::string>().find(
                "could not be read from Lode: reading the dataset: boom"),
            std::string::npos);
}

// The patching primitive at work: a history written before chunk outcomes were read from Lode
// (no marker: the terminated chunk was counted failed and the batch completed in that task)
// replays unchanged under today's code, while a task decided now takes the new path.
TEST(TemporalLargeBatchWorkflowTest, AHistoryFromBeforeThePatchReplaysTheOldPath) {
  json input = {{"defaults", Defaults()}, {"runs", Runs(2)}, {"chunk_size", 2}};
  HistoryBuilder old(input);
  old.Task();
  int64_t c0 = old.ChildInitiated("batch-1/chunk-0");
  old.ChildStarted(c0).ChildTerminated(c0, "chunk0-run").Task();
  old.Completed();
  ReplayResult r = Replay(old, "LargeBatchExtraction");
  EXPECT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;

  // The same history, still deciding that task: the new path, marker first.
  HistoryBuilder now(input);
  now.Task();
  c0 = now.ChildInitiated("batch-1/chunk-0");
  now.ChildStarted(c0).ChildTerminated(c0, "chunk0-run").TaskStarted();
  r = Replay(now, "LargeBatchExtraction");
  ASSERT_EQ(r.commands.size(), 2u);
  EXPECT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_RECORD_MARKER);
  EXPECT_EQ(ActivityIds(r), (std::vector<std::string>{"chunk-0/outcomes"}));

  // A history that recorded the marker but lost the activity after it is caught.
  HistoryBuilder broken(input);
  broken.Task();
  c0 = broken.ChildInitiated("batch-1/chunk-0");
  broken.ChildStarted(c0).ChildTerminated(c0, "chunk0-run").Task();
  broken.PatchMarker("chunk-outcomes-from-lode").Completed();
  EXPECT_EQ(Replay(broken, "LargeBatchExtraction").kind, ReplayResult::Kind::kNonDeterministic);
}

// Drives a LargeBatchExtraction history: each task's child starts are recorded and the oldest
// running chunk completes (one run, succeeded) before the next task. Returns the closing command.
command_pb::Command DriveLargeBatch(HistoryBuilder& h, std::vector<std::string>* started) {
  std::deque<int64_t> running;
  h.TaskStarted();
  for (int step = 0; step < 200; ++step) {
    ReplayResult r = Replay(h, "LargeBatchExtraction");
    EXPECT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
    h.TaskCompleted();
    for (const auto& c : r.commands) {
      switch (c.command_type()) {
        case enums::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
          const std::string id =
              c.start_child_workflow_execution_command_attributes().workflow_id();
          started->push_back(id);
          int64_t init = h.ChildInitiated(id);
          h.ChildStarted(init);
          running.push_back(init);
          break;
        }
        case enums::COMMAND_TYPE_RECORD_MARKER:
          h.PatchMarker("large-batch-continue-as-new");
          break;
        default:
          return c;  // closing
      }
    }
    if (running.empty()) return {};
    h.ChildCompleted(
        running.front(),
        {{"total", 1}, {"succeeded", 1}, {"failed", 0}, {"failed_runs", json::array()}});
    running.pop_front();
    h.TaskStarted();
  }
  return {};
}

// Past continue_as_new_after events no chunk starts; when the running ones closed, the workflow
// continues as new carrying where it was, and the next run goes on from there to the end.
TEST(TemporalLargeBatchWorkflowTest, ContinuesAsNewPastItsHistoryBoundCarryingTheAggregate) {
  json input = {{"defaults", Defaults()},
                {"runs", Runs(12)},
                {"chunk_size", 1},
                {"max_parallel_chunks", 2},
                {"continue_as_new_after", 20}};
  HistoryBuilder h(input);
  std::vector<std::string> started;
  command_pb::Command close = DriveLargeBatch(h, &started);
  ASSERT_EQ(close.command_type(), enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
  auto next =
      DecodeSingleArgument(close.continue_as_new_workflow_execution_command_attributes().input());
  ASSERT_TRUE(next.ok() && *next);
  const json carry = (**next)["carry"];
  const int64_t n = static_cast<int64_t>(started.size());
  EXPECT_GT(n, 0);
  EXPECT_LT(n, 12);
  EXPECT_EQ(carry["next_chunk"], n);
  EXPECT_EQ(carry["total"], 12);
  EXPECT_EQ(carry["aggregate"]["succeeded"], n);  // every started chunk finished first
  EXPECT_EQ((**next)["runs"].size(), 12u);

  // The chain goes on until every chunk ran once, chunk ids continuing where they stopped.
  std::vector<std::string> all = started;
  json in = **next;
  for (int run = 0; run < 20; ++run) {
    HistoryBuilder more(in);
    std::vector<std::string> these;
    command_pb::Command c = DriveLargeBatch(more, &these);
    all.insert(all.end(), these.begin(), these.end());
    if (c.command_type() == enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION) {
      auto agg = DecodeSingleArgument(c.complete_workflow_execution_command_attributes().result());
      ASSERT_TRUE(agg.ok() && *agg);
      EXPECT_EQ((**agg)["succeeded"], 12);
      EXPECT_EQ((**agg)["total"], 12);
      break;
    }
    ASSERT_EQ(c.command_type(), enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
    in = *DecodeSingleArgument(c.continue_as_new_workflow_execution_command_attributes().input())
              .value();
  }
  ASSERT_EQ(all.size(), 12u);
  for (int c = 0; c < 12; ++c) EXPECT_EQ(all[c], "batch-1/chunk-" + std::to_string(c));
}

TEST(TemporalLargeBatchWorkflowTest, AChangedChunkIdIsNonDeterministic) {
  json input = {{"defaults", Defaults()}, {"runs", Runs(2)}, {"chunk_size", 1}};
  HistoryBuilder h(input);
  h.Task();
  h.ChildInitiated("batch-1/chunk-0");
  h.ChildInitiated("batch-1/part-1");
  h.TaskStarted();
  ReplayResult r = Replay(h, "LargeBatchExtraction");
  ASSERT_EQ(r.kind, ReplayResult::Kind::kNonDeterministic);
  EXPECT_NE(r.message.find("batch-1/part-1"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("batch-1/chunk-1"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace quarry::temporal
