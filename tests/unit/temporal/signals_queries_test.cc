// Signals and queries replayed on synthetic histories: a batch paused, resumed, widened and with
// a run cancelled by signal; unknown signals reported once (in the task that received them); the
// progress and __stack_trace queries and the SDKs' error for an unknown query.
#include <gtest/gtest.h>

#include "client/payload.h"
#include "history_builder.h"
#include "temporal/api/enums/v1/command_type.pb.h"
#include "workflows/queries.h"
#include "workflows/registry.h"
#include "workflows/replay.h"
#include "workflows/run_id.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;
using testing::HistoryBuilder;
namespace enums = ::temporal::api::enums::v1;

constexpr char kRunId[] = "bbbbbbbb-2222-3333-4444-555555555555";

json BatchInput(int n, int max_parallel) {
  json runs = json::array();
  for (int i = 0; i < n; ++i) runs.push_back({{"job", {{"page", i}}}});
  return {{"defaults",
           {{"script", "/s.mjs"},
            {"source", "shop"},
            {"storage", {{"backend", "fs"}, {"path", "/d"}}}}},
          {"runs", runs},
          {"max_parallel", max_parallel}};
}

ReplayResult Replay(const HistoryBuilder& h, const std::string& type = "BatchExtraction") {
  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id("batch-s");
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

json Success(int index) {
  return {{"outcome", "success"},
          {"run_id", AttemptRunId(std::string(kRunId) + "/run-" + std::to_string(index), 1)},
          {"events_persisted", 5}};
}

json Progress(const ReplayResult& r) {
  QueryAnswer a = AnswerQuery(r, "BatchExtraction", "progress");
  EXPECT_TRUE(a.ok) << a.error;
  return a.result;
}

TEST(TemporalSignalsTest, APausedBatchStartsNoRunsUntilResumed) {
  HistoryBuilder h(BatchInput(4, 2));
  h.Task();
  int64_t a0 = h.ActivityScheduled("run-0/attempt-1");
  h.ActivityScheduled("run-1/attempt-1");
  h.Signaled("pause").ActivityCompleted(a0, Success(0)).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  EXPECT_TRUE(r.commands.empty());  // the freed slot stays free
  json p = Progress(r);
  EXPECT_EQ(p["paused"], true);
  EXPECT_EQ(p["running"], 1);
  EXPECT_EQ(p["succeeded"], 1);
  EXPECT_EQ(p["done"], 1);
  EXPECT_EQ(p["queued"], 2);
  EXPECT_EQ(p["total"], 4);
  EXPECT_TRUE(r.unhandled_signals.empty());

  h.TaskCompleted().Signaled("resume").TaskStarted();
  r = Replay(h);
  EXPECT_EQ(ActivityIds(r), (std::vector<std::string>{"run-2/attempt-1"}));
  EXPECT_EQ(Progress(r)["paused"], false);
}

TEST(TemporalSignalsTest, SetMaxParallelWidensTheBatchAndABadValueIsNamedInProgress) {
  HistoryBuilder h(BatchInput(5, 1));
  h.Task();
  h.ActivityScheduled("run-0/attempt-1");
  h.Signaled("set_max_parallel", 0).TaskStarted();
  ReplayResult r = Replay(h);
  EXPECT_TRUE(r.commands.empty());
  json p = Progress(r);
  EXPECT_EQ(p["max_parallel"], 1);
  EXPECT_NE(p["last_signal_error"].get<std::string>().find("set_max_parallel needs"),
            std::string::npos);

  h.TaskCompleted().Signaled("set_max_parallel", {{"max_parallel", 3}}).TaskStarted();
  r = Replay(h);
  EXPECT_EQ(ActivityIds(r), (std::vector<std::string>{"run-1/attempt-1", "run-2/attempt-1"}));
  EXPECT_EQ(Progress(r)["max_parallel"], 3);
}

TEST(TemporalSignalsTest, CancelRunCancelsARunningAttemptOrSkipsAQueuedRun) {
  HistoryBuilder h(BatchInput(3, 1));
  h.Task();
  int64_t a0 = h.ActivityScheduled("run-0/attempt-1");
  h.Signaled("cancel_run", {{"index", 2}}).Signaled("cancel_run", {{"index", 0}}).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);

  h.TaskCompleted();
  h.ActivityCancelRequested(a0);
  h.ActivityCanceled(a0).TaskStarted();
  r = Replay(h);
  EXPECT_EQ(ActivityIds(r), (std::vector<std::string>{"run-1/attempt-1"}));  // run 2 is skipped

  h.TaskCompleted();
  int64_t a1 = h.ActivityScheduled("run-1/attempt-1");
  h.ActivityCompleted(a1, Success(1)).TaskStarted();
  r = Replay(h);
  ASSERT_FALSE(r.commands.empty());
  const auto& last = r.commands.back();
  ASSERT_EQ(last.command_type(), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  auto agg = DecodeSingleArgument(last.complete_workflow_execution_command_attributes().result());
  ASSERT_TRUE(agg.ok() && *agg);
  EXPECT_EQ((**agg)["succeeded"], 1);
  EXPECT_EQ((**agg)["canceled"], 2);
  EXPECT_EQ((**agg)["failed"], 0);
}

TEST(TemporalSignalsTest, AnUnknownSignalIsReportedInTheTaskThatReceivedItOnly) {
  HistoryBuilder h(BatchInput(2, 2));
  h.Task();
  h.ActivityScheduled("run-0/attempt-1");
  h.ActivityScheduled("run-1/attempt-1");
  h.Signaled("stop_now").TaskStarted();
  ReplayResult r = Replay(h);
  EXPECT_EQ(r.unhandled_signals, (std::vector<std::string>{"stop_now"}));
  EXPECT_TRUE(r.commands.empty());
  h.TaskCompleted().Signaled("pause").TaskStarted();
  EXPECT_TRUE(Replay(h).unhandled_signals.empty());  // replayed, not received again

  // A single-run workflow takes no signals.
  HistoryBuilder one(
      {{"script", "/s.mjs"}, {"source", "shop"}, {"storage", {{"backend", "fs"}, {"path", "/d"}}}});
  one.Task();
  one.ActivityScheduled("attempt-1");
  one.Signaled("pause").TaskStarted();
  EXPECT_EQ(Replay(one, "QuarryExtractionWorkflow").unhandled_signals,
            (std::vector<std::string>{"pause"}));
}

UpdateRequest Update(const std::string& id, const std::string& name, const json& input) {
  UpdateRequest u;
  u.message_id = id + "/request";
  u.protocol_instance_id = id;
  u.request.mutable_meta()->set_update_id(id);
  u.request.mutable_input()->set_name(name);
  *u.request.mutable_input()->mutable_args() = JsonPayloads(input);
  u.name = name;
  u.input = input;
  return u;
}

TEST(TemporalUpdatesTest, SetMaxParallelIsAcceptedWithProtocolCommandsOrRejectedWithoutAny) {
  HistoryBuilder h(BatchInput(4, 1));
  h.Task();
  h.ActivityScheduled("run-0/attempt-1");
  h.TaskStarted();
  ReplayResult r = Replay(h);  // no updates: nothing to do
  EXPECT_TRUE(r.messages.empty());

  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id("batch-s");
  ex.set_run_id(kRunId);
  r = ReplayHistory(&CreateWorkflow, ex, "BatchExtraction", h.history(),
                    {Update("u1", "set_max_parallel", 0), Update("u2", "go_faster", 1)});
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_TRUE(r.commands.empty());
  for (const auto& m : r.messages) EXPECT_TRUE(m.body().Is<update_pb::Rejection>());
  update_pb::Rejection rej;
  ASSERT_TRUE(r.messages[1].body().UnpackTo(&rej));
  EXPECT_EQ(rej.failure().message(), "unknown update go_faster. KnownUpdates=[set_max_parallel]");
  EXPECT_EQ(rej.rejected_request_message_id(), "u2/request");

  r = ReplayHistory(&CreateWorkflow, ex, "BatchExtraction", h.history(),
                    {Update("u3", "set_max_parallel", 3)});
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_TRUE(r.messages[0].body().Is<update_pb::Acceptance>());
  update_pb::Response resp;
  ASSERT_TRUE(r.messages[1].body().UnpackTo(&resp));
  auto answer = DecodeSingleArgument(resp.outcome().success());
  ASSERT_TRUE(answer.ok() && *answer);
  EXPECT_EQ(**answer, (json{{"max_parallel", 3}, {"previous", 1}}));
  // accept, the two runs the wider batch starts, complete
  ASSERT_EQ(r.commands.size(), 4u);
  EXPECT_EQ(r.commands[0].protocol_message_command_attributes().message_id(), "u3/accept");
  EXPECT_EQ(ActivityIds(r), (std::vector<std::string>{"run-1/attempt-1", "run-2/attempt-1"}));
  EXPECT_EQ(r.commands[3].protocol_message_command_attributes().message_id(), "u3/complete");

  // Replayed from history, the accepted update is applied at the task that accepted it, and its
  // activities match the recorded ones.
  h.TaskCompleted().UpdateAccepted("u3", "set_max_parallel", 3);
  h.ActivityScheduled("run-1/attempt-1");
  h.ActivityScheduled("run-2/attempt-1");
  h.Raw(enums::EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
  h.TaskStarted();
  r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  EXPECT_TRUE(r.commands.empty());
  EXPECT_EQ(Progress(r)["max_parallel"], 3);
  EXPECT_EQ(Progress(r)["running"], 3);
}

TEST(TemporalQueriesTest, ProgressStackTraceAndUnknownQueries) {
  HistoryBuilder h({{"script", "/s.mjs"},
                    {"source", "shop"},
                    {"storage", {{"backend", "fs"}, {"path", "/d"}}},
                    {"retry", {{"max_attempts", 3}, {"initial_interval", "1s"}}}});
  h.Task();
  int64_t a1 = h.ActivityScheduled("attempt-1");
  h.ActivityFailed(a1, {"SCRIPT_ERROR", "boom", false,
                        json{{"outcome", "script_error"}, {"events_persisted", 4}}})
      .Task();
  h.TimerStarted("backoff-2");
  ReplayResult r = Replay(h, "QuarryExtractionWorkflow");  // history ends after the task
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;

  QueryAnswer p = AnswerQuery(r, "QuarryExtractionWorkflow", "progress");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.result["state"], "backoff");
  EXPECT_EQ(p.result["attempts"], 1);
  EXPECT_EQ(p.result["run_id"], AttemptRunId(kRunId, 1));
  EXPECT_EQ(p.result["events_persisted"], 4);

  QueryAnswer st = AnswerQuery(r, "QuarryExtractionWorkflow", "__stack_trace");
  ASSERT_TRUE(st.ok);
  EXPECT_EQ(st.result, "QuarryExtractionWorkflow waits on:\n  timer backoff-2\n");

  h.TimerFired("backoff-2").Task();
  h.ActivityScheduled("attempt-2");
  r = Replay(h, "QuarryExtractionWorkflow");
  EXPECT_EQ(AnswerQuery(r, "QuarryExtractionWorkflow", "__stack_trace").result,
            "QuarryExtractionWorkflow waits on:\n  activity attempt-2 (RunQuarryExtraction)\n");
  EXPECT_EQ(AnswerQuery(r, "QuarryExtractionWorkflow", "progress").result["attempts"], 2);

  QueryAnswer unknown = AnswerQuery(r, "QuarryExtractionWorkflow", "status");
  EXPECT_FALSE(unknown.ok);
  EXPECT_EQ(unknown.error, "unknown queryType status. KnownQueryTypes=[__stack_trace progress]");
}

}  // namespace
}  // namespace quarry::temporal
