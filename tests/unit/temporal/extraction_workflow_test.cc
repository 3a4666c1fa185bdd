// QuarryExtractionWorkflow replayed on synthetic histories: the commands of the current task,
// lineage of each attempt, retries, fast failure, cancellation and non-determinism.
#include <gtest/gtest.h>

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

constexpr char kWorkflowId[] = "wf-1";
constexpr char kRunId[] = "11111111-2222-3333-4444-555555555555";

json Input() {
  return {{"script", "/s.mjs"},
          {"source", "shop"},
          {"storage", {{"backend", "fs"}, {"path", "/data"}}},
          {"retry", {{"max_attempts", 3}, {"initial_interval", "2s"}}}};
}

ReplayResult Replay(const HistoryBuilder& h) {
  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id(kWorkflowId);
  ex.set_run_id(kRunId);
  return ReplayHistory(&CreateWorkflow, ex, "QuarryExtractionWorkflow", h.history());
}

json ActivityInput(const command_pb::Command& c) {
  auto v = DecodeSingleArgument(c.schedule_activity_task_command_attributes().input());
  EXPECT_TRUE(v.ok());
  return v.ok() && *v ? **v : json();
}

json ResultOf(int64_t attempt, const std::string& outcome) {
  return {{"outcome", outcome}, {"run_id", AttemptRunId(kRunId, attempt)}, {"attempt", attempt}};
}

TEST(TemporalExtractionWorkflowTest, FirstTaskSchedulesAttemptOneWithDerivedRunId) {
  HistoryBuilder h(Input());
  h.TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  const auto& c = r.commands[0];
  ASSERT_EQ(c.command_type(), enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
  const auto& a = c.schedule_activity_task_command_attributes();
  EXPECT_EQ(a.activity_id(), "attempt-1");
  EXPECT_EQ(a.activity_type().name(), "RunQuarryExtraction");
  EXPECT_EQ(a.task_queue().name(), "quarry");
  EXPECT_EQ(a.start_to_close_timeout().seconds(), 4 * 3600);
  EXPECT_EQ(a.heartbeat_timeout().seconds(), 60);
  EXPECT_EQ(a.schedule_to_start_timeout().seconds(), 300);
  EXPECT_EQ(a.retry_policy().maximum_attempts(), 1);
  json in = ActivityInput(c);
  EXPECT_EQ(in["run_id"], AttemptRunId(kRunId, 1));
  EXPECT_EQ(in["attempt"], 1);
  EXPECT_EQ(in["job_id"], kWorkflowId);
  EXPECT_FALSE(in.contains("parent_run_id"));
  EXPECT_FALSE(in.contains("retry"));
  EXPECT_EQ(in["script"], "/s.mjs");
  EXPECT_EQ(in["storage"]["path"], "/data");
}

TEST(TemporalExtractionWorkflowTest, ExplicitJobIdWins) {
  json input = Input();
  input["job_id"] = "job-9";
  HistoryBuilder h(input);
  h.TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(ActivityInput(r.commands[0])["job_id"], "job-9");
}

TEST(TemporalExtractionWorkflowTest, SuccessCompletesWithEveryAttempt) {
  HistoryBuilder h(Input());
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1");
  h.ActivityCompleted(s1, ResultOf(1, "success")).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  ASSERT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  auto v =
      DecodeSingleArgument(r.commands[0].complete_workflow_execution_command_attributes().result());
  ASSERT_TRUE(v.ok() && *v);
  json result = **v;
  EXPECT_EQ(result["final"]["outcome"], "success");
  ASSERT_EQ(result["attempts"].size(), 1u);
  EXPECT_EQ(result["attempts"][0]["run_id"], AttemptRunId(kRunId, 1));
  EXPECT_EQ(result["attempts"][0]["attempt"], 1);
  EXPECT_EQ(result["attempts"][0]["outcome"], "success");
}

TEST(TemporalExtractionWorkflowTest, RetryableFailureWaitsThenRetriesWithLineage) {
  HistoryBuilder h(Input());
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1");
  h.ActivityFailed(s1, {"SCRIPT_ERROR", "boom", false, ResultOf(1, "script_error")}).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  ASSERT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_START_TIMER);
  EXPECT_EQ(r.commands[0].start_timer_command_attributes().timer_id(), "backoff-2");
  EXPECT_EQ(r.commands[0].start_timer_command_attributes().start_to_fire_timeout().seconds(), 2);

  h.TaskCompleted().TimerStarted("backoff-2").TimerFired("backoff-2").TaskStarted();
  r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].schedule_activity_task_command_attributes().activity_id(), "attempt-2");
  json in = ActivityInput(r.commands[0]);
  EXPECT_EQ(in["attempt"], 2);
  EXPECT_EQ(in["run_id"], AttemptRunId(kRunId, 2));
  EXPECT_EQ(in["parent_run_id"], AttemptRunId(kRunId, 1));
  EXPECT_NE(in["run_id"], in["parent_run_id"]);
}

// After `temporal workflow reset` the new execution replays events the old one wrote: its first
// attempt ran under the old execution's derived id, which history recorded. The next attempt's
// parent is that recorded id (it is the run in Lode), and its own id is derived from the new
// execution (a fresh id, never one the old execution used).
TEST(TemporalExtractionWorkflowTest, AfterAResetLineageFollowsTheRunIdHistoryRecorded) {
  const std::string old_run_id = AttemptRunId("old-execution-run-id", 1);
  HistoryBuilder h(Input());
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1", {{"run_id", old_run_id}, {"attempt", 1}});
  h.ActivityFailed(s1, {"SCRIPT_ERROR", "boom", false, json{{"outcome", "script_error"}}}).Task();
  h.TimerStarted("backoff-2").TimerFired("backoff-2").TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  json in = ActivityInput(r.commands[0]);
  EXPECT_EQ(in["parent_run_id"], old_run_id);
  EXPECT_EQ(in["run_id"], AttemptRunId(kRunId, 2));
}

TEST(TemporalExtractionWorkflowTest, BackoffGrowsAndIsCapped) {
  json input = Input();
  input["retry"] = {{"max_attempts", 5},
                    {"initial_interval", 1},
                    {"backoff_coefficient", 3},
                    {"maximum_interval", "5s"}};
  HistoryBuilder h(input);
  h.Task();
  for (int n = 1; n <= 3; ++n) {
    int64_t s = h.ActivityScheduled("attempt-" + std::to_string(n));
    h.ActivityFailed(s, {"EXECUTOR_CRASH", "crash", false, std::nullopt}).Task();
    h.TimerStarted("backoff-" + std::to_string(n + 1))
        .TimerFired("backoff-" + std::to_string(n + 1))
        .Task();
  }
  int64_t s4 = h.ActivityScheduled("attempt-4");
  h.ActivityFailed(s4, {"EXECUTOR_CRASH", "crash", false, std::nullopt}).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  // 1s, 3s, then capped at 5s.
  EXPECT_EQ(r.commands[0].start_timer_command_attributes().timer_id(), "backoff-5");
  EXPECT_EQ(r.commands[0].start_timer_command_attributes().start_to_fire_timeout().seconds(), 5);
}

TEST(TemporalExtractionWorkflowTest, NonRetryableFailureFailsFast) {
  HistoryBuilder h(Input());
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1");
  h.ActivityFailed(s1, {"POLICY_FAILURE", "disk full", true, ResultOf(1, "policy_failure")})
      .TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  ASSERT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
  const auto& f = r.commands[0].fail_workflow_execution_command_attributes().failure();
  FailureView v = ViewFailure(f);
  EXPECT_EQ(v.type, "POLICY_FAILURE");
  EXPECT_TRUE(v.non_retryable);
  ASSERT_TRUE(v.details.has_value());
  EXPECT_EQ((*v.details)["attempts"].size(), 1u);
  EXPECT_EQ((*v.details)["final"]["outcome"], "policy_failure");
  EXPECT_EQ(f.cause().application_failure_info().type(), "POLICY_FAILURE");
}

TEST(TemporalExtractionWorkflowTest, AttemptsExhaustedFailsWithLastFailure) {
  json input = Input();
  input["retry"] = {{"max_attempts", 2}, {"initial_interval", "1s"}};
  HistoryBuilder h(input);
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1");
  h.ActivityFailed(s1, {"SCRIPT_ERROR", "one", false, std::nullopt}).Task();
  h.TimerStarted("backoff-2").TimerFired("backoff-2").Task();
  int64_t s2 = h.ActivityScheduled("attempt-2");
  h.ActivityFailed(s2, {"SCRIPT_ERROR", "two", false, ResultOf(2, "script_error")}).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.commands.size(), 1u);
  ASSERT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
  FailureView v = ViewFailure(r.commands[0].fail_workflow_execution_command_attributes().failure());
  EXPECT_EQ(v.type, "SCRIPT_ERROR");
  EXPECT_FALSE(v.non_retryable);
  EXPECT_NE(v.message.find("two"), std::string::npos);
  EXPECT_EQ((*v.details)["attempts"].size(), 2u);
}

// Item 8 of the Temporal issue: the retry gets the newest checkpoint an earlier attempt reported
// (in its failure details, or in its last heartbeat when it timed out) as `resume`.
TEST(TemporalExtractionWorkflowTest, ARetryResumesFromTheLastCheckpointOfAnEarlierAttempt) {
  HistoryBuilder h(Input());
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1");
  json failed = ResultOf(1, "script_error");
  failed["last_checkpoint_id"] = "page-3";
  h.ActivityFailed(s1, {"SCRIPT_ERROR", "boom", false, failed}).TaskStarted();
  h.TaskCompleted().TimerStarted("backoff-2").TimerFired("backoff-2").TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(ActivityInput(r.commands[0])["resume"],
            json({{"checkpoint_id", "page-3"}, {"run_id", AttemptRunId(kRunId, 1)}}));

  // Attempt 2 reaches page 7 and stops heartbeating: attempt 3 resumes from its heartbeat.
  int64_t s2 = h.TaskCompleted().ActivityScheduled("attempt-2");
  h.ActivityTimedOut(s2, json{{"run_id", AttemptRunId(kRunId, 2)},
                              {"event_count", 9},
                              {"last_checkpoint_id", "page-7"}})
      .TaskStarted();
  h.TaskCompleted().TimerStarted("backoff-3").TimerFired("backoff-3").TaskStarted();
  r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(ActivityInput(r.commands[0])["resume"],
            json({{"checkpoint_id", "page-7"}, {"run_id", AttemptRunId(kRunId, 2)}}));
}

TEST(TemporalExtractionWorkflowTest, AnAttemptWithoutCheckpointsGivesNoResume) {
  HistoryBuilder h(Input());
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1");
  h.ActivityTimedOut(s1, json{{"run_id", "r"}, {"event_count", 0}, {"last_checkpoint_id", nullptr}})
      .TaskStarted();
  h.TaskCompleted().TimerStarted("backoff-2").TimerFired("backoff-2").TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_FALSE(ActivityInput(r.commands[0]).contains("resume"));
}

TEST(TemporalExtractionWorkflowTest, HeartbeatTimeoutIsRetried) {
  HistoryBuilder h(Input());
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1");
  h.ActivityTimedOut(s1).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_START_TIMER);
}

TEST(TemporalExtractionWorkflowTest, CancelWhileRunningCancelsTheActivityThenTheWorkflow) {
  HistoryBuilder h(Input());
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1");
  h.CancelRequested().TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  ASSERT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
  EXPECT_EQ(r.commands[0].request_cancel_activity_task_command_attributes().scheduled_event_id(),
            s1);

  h.TaskCompleted().ActivityCancelRequested(s1).ActivityCanceled(s1).TaskStarted();
  r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
}

TEST(TemporalExtractionWorkflowTest, CancelDuringBackoffCancelsTimerAndWorkflow) {
  HistoryBuilder h(Input());
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1");
  h.ActivityFailed(s1, {"SCRIPT_ERROR", "x", false, std::nullopt}).Task();
  h.TimerStarted("backoff-2").CancelRequested().TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.commands.size(), 2u);
  EXPECT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_CANCEL_TIMER);
  EXPECT_EQ(r.commands[1].command_type(), enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
}

TEST(TemporalExtractionWorkflowTest, FailedWorkflowTaskIsReplayedAtTheNextTask) {
  HistoryBuilder h(Input());
  h.TaskStarted().TaskFailed().TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].schedule_activity_task_command_attributes().activity_id(), "attempt-1");
}

TEST(TemporalExtractionWorkflowTest, InvalidInputFailsWithConfigError) {
  json input = Input();
  input["sourc"] = "typo";
  HistoryBuilder h(input);
  h.TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.commands.size(), 1u);
  ASSERT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
  FailureView v = ViewFailure(r.commands[0].fail_workflow_execution_command_attributes().failure());
  EXPECT_EQ(v.type, "CONFIG_ERROR");
  EXPECT_TRUE(v.non_retryable);
  EXPECT_NE(v.message.find("sourc"), std::string::npos);
}

TEST(TemporalExtractionWorkflowTest, RunIdInInputIsRefused) {
  json input = Input();
  input["run_id"] = "mine";
  HistoryBuilder h(input);
  h.TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
}

TEST(TemporalExtractionWorkflowTest, ClosedHistoryReplaysCleanly) {
  HistoryBuilder h(Input());
  h.Task();
  int64_t s1 = h.ActivityScheduled("attempt-1");
  h.ActivityCompleted(s1, ResultOf(1, "success")).Task().Completed();
  ReplayResult r = Replay(h);
  EXPECT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  EXPECT_TRUE(r.commands.empty());
}

// --- non-determinism --------------------------------------------------------------------------

TEST(TemporalReplayNonDeterminismTest, DifferentActivityIdIsReported) {
  // History recorded by a version of the workflow that named its first activity differently.
  HistoryBuilder h(Input());
  h.Task();
  h.ActivityScheduled("extract-1");
  h.TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kNonDeterministic);
  EXPECT_NE(r.message.find("extract-1"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("attempt-1"), std::string::npos) << r.message;
}

TEST(TemporalReplayNonDeterminismTest, DifferentCommandTypeIsReported) {
  HistoryBuilder h(Input());
  h.Task().TimerStarted("wait").TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kNonDeterministic);
  EXPECT_NE(r.message.find("TIMER_STARTED"), std::string::npos) << r.message;
}

TEST(TemporalReplayNonDeterminismTest, CommandMissingFromHistoryIsReported) {
  // The recorded task completed without commands; the code now schedules an activity there.
  HistoryBuilder h(Input());
  h.Task().TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kNonDeterministic);
  EXPECT_NE(r.message.find("SCHEDULE_ACTIVITY_TASK \"attempt-1\""), std::string::npos) << r.message;
}

TEST(TemporalReplayNonDeterminismTest, ExtraCommandEventInHistoryIsReported) {
  HistoryBuilder h(Input());
  h.Task();
  h.ActivityScheduled("attempt-1");
  h.Raw(enums::EVENT_TYPE_MARKER_RECORDED).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kNonDeterministic);
  EXPECT_NE(r.message.find("MARKER_RECORDED"), std::string::npos) << r.message;
}

TEST(TemporalReplayTest, UnknownWorkflowType) {
  HistoryBuilder h(Input());
  h.TaskStarted();
  ::temporal::api::common::v1::WorkflowExecution ex;
  ReplayResult r = ReplayHistory(&CreateWorkflow, ex, "SomethingElse", h.history());
  EXPECT_EQ(r.kind, ReplayResult::Kind::kUnknownWorkflow);
}

TEST(TemporalReplayTest, HistoryMustStartWithStartedEvent) {
  ::temporal::api::history::v1::History empty;
  ::temporal::api::common::v1::WorkflowExecution ex;
  EXPECT_EQ(ReplayHistory(&CreateWorkflow, ex, "QuarryExtractionWorkflow", empty).kind,
            ReplayResult::Kind::kBadHistory);
}

}  // namespace
}  // namespace quarry::temporal
