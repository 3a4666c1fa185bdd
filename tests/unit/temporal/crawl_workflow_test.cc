// QuarryCrawlWorkflow replayed on synthetic histories: the root first, children from the requests
// its result hands back under the §9 rules (depth, dedup key, max_runs, FIFO, parallel), child
// identity and inheritance (D5, D11.16), retries with lineage, cancellation, and continue-as-new
// with the frontier carried to the next execution.
#include <gtest/gtest.h>

#include "history_builder.h"
#include "quarry/fanout/enqueue.h"
#include "temporal/api/enums/v1/command_type.pb.h"
#include "workflows/crawl_params.h"
#include "workflows/crawl_state.h"
#include "workflows/registry.h"
#include "workflows/replay.h"
#include "workflows/run_id.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;
using testing::HistoryBuilder;
namespace enums = ::temporal::api::enums::v1;

constexpr char kWorkflowId[] = "crawl-1";
constexpr char kRunId[] = "cccccccc-2222-3333-4444-555555555555";

json Input(int depth = 2, int max_runs = 10, int parallel = 2) {
  return {{"script", "/site/list.mjs"},
          {"source", "shop"},
          {"category", "listing"},
          {"job", {{"page", "home"}}},
          {"storage", {{"backend", "fs"}, {"path", "/d"}}},
          {"depth", depth},
          {"max_runs", max_runs},
          {"parallel", parallel},
          {"target_dir", "/work"},
          {"retry", {{"max_attempts", 2}, {"initial_interval", "1s"}}}};
}

ReplayResult Replay(const HistoryBuilder& h, const std::string& run_id = kRunId) {
  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id(kWorkflowId);
  ex.set_run_id(run_id);
  return ReplayHistory(&CreateWorkflow, ex, kCrawlWorkflow, h.history());
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

json InputOf(const command_pb::Command& c) {
  StatusOr<std::optional<json>> v = InvalidArgumentError("no input");
  if (c.command_type() == enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK) {
    v = DecodeSingleArgument(c.schedule_activity_task_command_attributes().input());
  } else if (c.command_type() == enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION) {
    v = DecodeSingleArgument(c.continue_as_new_workflow_execution_command_attributes().input());
  } else if (c.command_type() == enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION) {
    v = DecodeSingleArgument(c.complete_workflow_execution_command_attributes().result());
  } else if (c.command_type() == enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION) {
    v = DecodeSingleArgument(c.cancel_workflow_execution_command_attributes().details());
  }
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v.ok() && *v ? **v : json();
}

std::string Seed(int task) { return std::string(kRunId) + "/task-" + std::to_string(task); }
std::string RunOf(int task, int attempt = 1) { return AttemptRunId(Seed(task), attempt); }

json Req(const std::string& target, json params, const std::string& event_id) {
  return {{"target", target}, {"params", std::move(params)}, {"event_id", event_id}};
}

// An ExtractionResult that hands back `enqueued`.
json Result(int task, json enqueued, int64_t invalid = 0, int64_t omitted = 0, int attempt = 1) {
  return {{"outcome", "success"},
          {"run_id", RunOf(task, attempt)},
          {"attempt", attempt},
          {"event_count", 3},
          {"duration_ms", 10},
          {"enqueue_received", static_cast<int64_t>(enqueued.size()) + invalid + omitted},
          {"enqueue_invalid", invalid},
          {"enqueued", std::move(enqueued)},
          {"enqueued_omitted", omitted}};
}

json Closing(const ReplayResult& r, enums::CommandType type) {
  EXPECT_FALSE(r.commands.empty()) << r.message;
  if (r.commands.empty()) return json();
  EXPECT_EQ(r.commands.back().command_type(), type) << r.message;
  return InputOf(r.commands.back());
}

TEST(TemporalCrawlWorkflowTest, TheRootRunsFirstAndAsksForItsEnqueueRequests) {
  HistoryBuilder h(Input());
  h.TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-0/attempt-1"}));
  const auto& a = r.commands[0].schedule_activity_task_command_attributes();
  EXPECT_EQ(a.activity_type().name(), "RunQuarryExtraction");
  EXPECT_EQ(a.retry_policy().maximum_attempts(), 1);
  EXPECT_FALSE(a.has_schedule_to_start_timeout());
  json in = InputOf(r.commands[0]);
  EXPECT_EQ(in["run_id"], RunOf(0));
  EXPECT_EQ(in["attempt"], 1);
  EXPECT_EQ(in["job_id"], kWorkflowId);
  EXPECT_EQ(in["script"], "/site/list.mjs");
  EXPECT_EQ(in["job"]["page"], "home");
  EXPECT_EQ(in["collect_enqueued"], (json{{"max_tasks", 1000}, {"max_bytes", 256 * 1024}}));
  EXPECT_FALSE(in.contains("fanout"));
  for (const char* knob : {"depth", "max_runs", "parallel", "target_dir", "retry"}) {
    EXPECT_FALSE(in.contains(knob)) << knob;
  }
}

TEST(TemporalCrawlWorkflowTest, ChildrenGetTheRootsSettingsTheirOwnJobAndTheLink) {
  HistoryBuilder h(Input(2, 10, 2));
  h.Task();
  int64_t root = h.ActivityScheduled("task-0/attempt-1");
  json reqs = json::array({Req("detail.mjs", {{"id", 1}}, "ev-1"),
                           Req("/abs/other.mjs", {{"id", 2}}, "ev-2"),
                           Req("detail.mjs", {{"id", 3}}, "ev-3")});
  reqs[1]["source"] = "other-source";
  reqs[2]["category"] = "special";
  h.ActivityCompleted(root, Result(0, reqs)).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  // parallel 2: the third waits.
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-1/attempt-1", "task-2/attempt-1"}));
  json c1 = InputOf(r.commands[0]);
  EXPECT_EQ(c1["script"], "/work/detail.mjs");  // relative targets resolve in target_dir
  EXPECT_EQ(c1["job"], (json{{"id", 1}}));
  EXPECT_EQ(c1["run_id"], RunOf(1));
  EXPECT_EQ(c1["attempt"], 1);
  EXPECT_FALSE(c1.contains("parent_run_id"));  // D5: a child is a first attempt
  EXPECT_EQ(c1["job_id"], kWorkflowId);        // D5: the root's job id
  EXPECT_EQ(c1["source"], "shop");             // inherited from the enqueuing run
  EXPECT_EQ(c1["category"], "listing");
  EXPECT_EQ(c1["storage"]["path"], "/d");
  EXPECT_EQ(c1["fanout"], (json{{"enqueued_by_run_id", RunOf(0)},
                                {"enqueued_by_event_id", "ev-1"},
                                {"fanout_depth", 1}}));
  EXPECT_EQ(c1["collect_enqueued"]["max_tasks"], 1000);  // depth 1 < 2: its requests count
  json c2 = InputOf(r.commands[1]);
  EXPECT_EQ(c2["script"], "/abs/other.mjs");
  EXPECT_EQ(c2["source"], "other-source");  // the enqueue's override
  EXPECT_EQ(c2["category"], "listing");
}

TEST(TemporalCrawlWorkflowTest, DepthDedupAndMaxRunsCountLikeTheCli) {
  // depth 2, max_runs 3, parallel 3. The root asks for a, b, a (dedup), "" (invalid, counted by
  // the activity) and one the result cap left out.
  HistoryBuilder h(Input(2, 3, 3));
  h.Task();
  int64_t root = h.ActivityScheduled("task-0/attempt-1");
  h.ActivityCompleted(root, Result(0,
                                   json::array({Req("a.mjs", json::object(), "e1"),
                                                Req("b.mjs", json::object(), "e2"),
                                                Req("a.mjs", json::object(), "e3")}),
                                   /*invalid=*/1, /*omitted=*/1))
      .TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-1/attempt-1", "task-2/attempt-1"}));
  h.TaskCompleted();
  int64_t a = h.ActivityScheduled("task-1/attempt-1");
  int64_t b = h.ActivityScheduled("task-2/attempt-1");
  // a (depth 1) asks for c, b (dedup: the same target and params as task 2), d, e: c is the
  // third and last accepted run; d and e are over max_runs.
  h.ActivityCompleted(a, Result(1, json::array({Req("c.mjs", {{"x", 1}, {"y", 2}}, "e4"),
                                                Req("b.mjs", json::object(), "e5"),
                                                Req("d.mjs", json::object(), "e6"),
                                                Req("e.mjs", json::object(), "e7")})))
      .TaskStarted();
  r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-3/attempt-1"}));
  json c = InputOf(r.commands[0]);
  EXPECT_EQ(c["collect_enqueued"]["max_tasks"], 0);  // depth 2 = the limit: count only
  EXPECT_EQ(c["fanout"]["fanout_depth"], 2);
  EXPECT_EQ(c["fanout"]["enqueued_by_run_id"], RunOf(1));
  h.TaskCompleted();
  int64_t cc = h.ActivityScheduled("task-3/attempt-1");
  // c (depth 2) asked for one request that the activity only counted: skipped by depth.
  h.ActivityCompleted(b, Result(2, json::array()))
      .ActivityCompleted(cc, Result(3, json::array(), 0, /*omitted=*/1))
      .TaskStarted();
  json s = Closing(Replay(h), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(s["final"]["run_id"], RunOf(0));
  EXPECT_EQ(s["final"]["outcome"], "success");
  EXPECT_EQ(s["children"],
            (json{{"total", 3}, {"succeeded", 3}, {"failed", 0}, {"canceled", 0}, {"not_run", 0}}));
  // received 5 (root) + 4 (a) + 1 (c) = 10 = 3 accepted + 2 deduped + 5 skipped
  EXPECT_EQ(s["enqueue"]["received"], 10);
  EXPECT_EQ(s["enqueue"]["deduped"], 2);
  EXPECT_EQ(s["enqueue"]["skipped"], 5);
  EXPECT_EQ(s["enqueue"]["skipped_by"],
            (json{{"invalid_target", 1}, {"depth", 1}, {"max_runs", 2}, {"result_cap", 1}}));
  ASSERT_EQ(s["child_runs"].size(), 3u);
  std::vector<std::string> ids;
  for (const auto& e : s["child_runs"]) ids.push_back(e["run_id"]);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(s["continued_as_new"], 0);
}

TEST(TemporalCrawlWorkflowTest, AGrandchildInheritsItsParentsOverrideAndTheRootIsNotDeduped) {
  HistoryBuilder h(Input(3, 10, 1));
  h.Task();
  int64_t root = h.ActivityScheduled("task-0/attempt-1");
  json req = Req("mid.mjs", json::object(), "e1");
  req["source"] = "mid-source";
  req["category"] = "mid-cat";
  h.ActivityCompleted(root, Result(0, json::array({req}))).TaskStarted();
  ReplayResult r = Replay(h);
  h.TaskCompleted();
  int64_t mid = h.ActivityScheduled("task-1/attempt-1");
  // The root's own script and job are not in the dedup set: asking for them is a new task.
  h.ActivityCompleted(mid,
                      Result(1, json::array({Req("/site/list.mjs", {{"page", "home"}}, "e2")})))
      .TaskStarted();
  r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-2/attempt-1"}));
  json g = InputOf(r.commands[0]);
  EXPECT_EQ(g["source"], "mid-source");
  EXPECT_EQ(g["category"], "mid-cat");
  EXPECT_EQ(g["fanout"]["fanout_depth"], 2);
}

TEST(TemporalCrawlWorkflowTest, FifoAndAtMostParallelChildren) {
  HistoryBuilder h(Input(1, 10, 2));
  h.Task();
  int64_t root = h.ActivityScheduled("task-0/attempt-1");
  json reqs = json::array();
  for (int i = 0; i < 5; ++i) reqs.push_back(Req("p.mjs", {{"n", i}}, "e" + std::to_string(i)));
  h.ActivityCompleted(root, Result(0, reqs)).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-1/attempt-1", "task-2/attempt-1"}));
  h.TaskCompleted();
  int64_t t1 = h.ActivityScheduled("task-1/attempt-1");
  int64_t t2 = h.ActivityScheduled("task-2/attempt-1");
  h.ActivityCompleted(t2, Result(2, json::array())).TaskStarted();
  r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-3/attempt-1"}));
  EXPECT_EQ(InputOf(r.commands[0])["job"]["n"], 2);  // the third request, in order
  h.TaskCompleted();
  h.ActivityScheduled("task-3/attempt-1");
  h.ActivityCompleted(t1, Result(1, json::array())).TaskStarted();
  r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-4/attempt-1"}));
}

TEST(TemporalCrawlWorkflowTest, AFailedChildIsRetriedWithLineageAndAFailedRootStillFansOut) {
  HistoryBuilder h(Input(1, 10, 2));
  h.Task();
  int64_t root = h.ActivityScheduled("task-0/attempt-1");
  json details = Result(0, json::array({Req("c.mjs", json::object(), "e1")}));
  details["outcome"] = "policy_failure";
  h.ActivityFailed(root, {"POLICY_FAILURE", "full", true, details}).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-1/attempt-1"}));
  h.TaskCompleted();
  int64_t c1 = h.ActivityScheduled("task-1/attempt-1");
  h.ActivityFailed(c1, {"SCRIPT_ERROR", "boom", false, json{{"outcome", "script_error"}}})
      .TaskStarted();
  r = Replay(h);
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].start_timer_command_attributes().timer_id(), "task-1/backoff-2");
  h.TaskCompleted().TimerStarted("task-1/backoff-2").TimerFired("task-1/backoff-2").TaskStarted();
  r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-1/attempt-2"}));
  json in = InputOf(r.commands[0]);
  EXPECT_EQ(in["attempt"], 2);
  EXPECT_EQ(in["run_id"], RunOf(1, 2));
  EXPECT_EQ(in["parent_run_id"], RunOf(1, 1));
  EXPECT_EQ(in["fanout"]["enqueued_by_run_id"], RunOf(0));
  h.TaskCompleted();
  int64_t c2 = h.ActivityScheduled("task-1/attempt-2");
  h.ActivityCompleted(c2, Result(1, json::array(), 0, 0, 2)).TaskStarted();
  json s = Closing(Replay(h), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(s["final"]["outcome"], "policy_failure");  // the root's outcome decides the exit
  EXPECT_EQ(s["root"]["outcome"], "policy_failure");
  EXPECT_EQ(s["children"]["succeeded"], 1);
  ASSERT_EQ(s["child_runs"].size(), 1u);
  EXPECT_EQ(s["child_runs"][0]["attempts"], 2);
  EXPECT_EQ(s["child_runs"][0]["run_id"], RunOf(1, 2));
}

TEST(TemporalCrawlWorkflowTest, CancelStopsDispatchCancelsRunningChildrenAndReportsTheRest) {
  HistoryBuilder h(Input(1, 10, 1));
  h.Task();
  int64_t root = h.ActivityScheduled("task-0/attempt-1");
  h.ActivityCompleted(root, Result(0, json::array({Req("a.mjs", json::object(), "e1"),
                                                   Req("b.mjs", json::object(), "e2")})))
      .TaskStarted();
  Replay(h);
  h.TaskCompleted();
  int64_t a = h.ActivityScheduled("task-1/attempt-1");
  h.CancelRequested().TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
  h.TaskCompleted().ActivityCancelRequested(a).ActivityCanceled(a).TaskStarted();
  json s = Closing(Replay(h), enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
  EXPECT_EQ(s["children"]["canceled"], 1);
  EXPECT_EQ(s["children"]["not_run"], 1);
}

TEST(TemporalCrawlWorkflowTest, BadInputFailsAtOnceWithConfigError) {
  for (auto [field, value, message] :
       {std::tuple{"depth", json(0), "\"depth\" must be in 1..1000"},
        std::tuple{"max_runs", json(60000), "\"max_runs\" must be in 1..50000"},
        std::tuple{"parallel", json(0), "\"parallel\" must be in 1..50"},
        std::tuple{"continue_as_new_after", json(5), "\"continue_as_new_after\" must be in"},
        std::tuple{"target_dir", json("rel"), "\"target_dir\" must be an absolute"},
        std::tuple{"frontier", json{{"format", "x"}}, "frontier: not a"},
        std::tuple{"sript", json("/x.mjs"), "unknown field \"sript\""}}) {
    json in = Input();
    in[field] = value;
    HistoryBuilder h(in);
    h.TaskStarted();
    ReplayResult r = Replay(h);
    ASSERT_EQ(r.commands.size(), 1u) << field;
    ASSERT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
    const auto& f = r.commands[0].fail_workflow_execution_command_attributes().failure();
    EXPECT_NE(f.message().find(message), std::string::npos) << field << ": " << f.message();
    EXPECT_EQ(f.application_failure_info().type(), "CONFIG_ERROR");
    EXPECT_TRUE(f.application_failure_info().non_retryable());
  }
  json in = Input();
  in.erase("depth");
  EXPECT_FALSE(ParseCrawlParams(in).ok());
  in = Input();
  in["fanout"] = {{"enqueued_by_run_id", "x"}};  // the workflow's to set
  EXPECT_FALSE(ParseCrawlParams(in).ok());
}

// Pads the history with completed workflow tasks until the next event id is at least `n`.
void PadTo(HistoryBuilder& h, int64_t n) {
  while (h.history().events_size() + 3 < n) h.Task();
}

TEST(TemporalCrawlWorkflowTest, PastTheThresholdItDrainsThenContinuesAsNewWithTheFrontier) {
  json input = Input(2, 10, 2);
  input["continue_as_new_after"] = 20;
  HistoryBuilder h(input);
  h.Task();
  int64_t root = h.ActivityScheduled("task-0/attempt-1");
  json reqs = json::array();
  for (int i = 0; i < 4; ++i) reqs.push_back(Req("p.mjs", {{"n", i}}, "e" + std::to_string(i)));
  h.ActivityCompleted(root, Result(0, reqs)).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-1/attempt-1", "task-2/attempt-1"}));
  h.TaskCompleted();
  int64_t t1 = h.ActivityScheduled("task-1/attempt-1");
  int64_t t2 = h.ActivityScheduled("task-2/attempt-1");
  PadTo(h, 21);
  // Past 20 events: task 1 ends, task 2 still runs: nothing new starts.
  h.ActivityCompleted(t1, Result(1, json::array({Req("p.mjs", {{"n", 0}}, "dup")}))).TaskStarted();
  r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  EXPECT_TRUE(r.commands.empty());
  h.TaskCompleted();
  h.ActivityCompleted(t2, Result(2, json::array({Req("q.mjs", json::object(), "e9")})))
      .TaskStarted();
  r = Replay(h);
  json next = Closing(r, enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
  const auto& can = r.commands.back().continue_as_new_workflow_execution_command_attributes();
  EXPECT_EQ(can.workflow_type().name(), kCrawlWorkflow);
  EXPECT_EQ(can.task_queue().name(), "quarry");
  // The same knobs, plus the frontier.
  for (const char* key : {"script", "depth", "max_runs", "parallel", "continue_as_new_after"}) {
    EXPECT_EQ(next[key], input[key]) << key;
  }
  ASSERT_TRUE(next.contains("frontier"));
  EXPECT_EQ(next["frontier"]["queued"], 3);  // p 2, p 3, q
  auto state = DecodeFrontier(next["frontier"]);
  ASSERT_TRUE(state.ok()) << state.status().message();
  EXPECT_EQ(state->crawl_run_id, kRunId);
  EXPECT_EQ(state->next_index, 6);
  EXPECT_EQ(state->dedup.size(), 5u);
  EXPECT_EQ(state->counters.deduped, 1);
  EXPECT_EQ(state->counters.succeeded, 2);
  EXPECT_EQ(state->root["run_id"], RunOf(0));

  // The next execution (its own run id) starts the queue with the crawl's run id seeds, and the
  // dedup set still holds.
  const std::string next_run = "dddddddd-2222-3333-4444-555555555555";
  HistoryBuilder h2(next);
  h2.TaskStarted();
  r = Replay(h2, next_run);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-3/attempt-1", "task-4/attempt-1"}));
  EXPECT_EQ(InputOf(r.commands[0])["run_id"], RunOf(3));
  EXPECT_EQ(InputOf(r.commands[0])["job"]["n"], 2);
  h2.TaskCompleted();
  int64_t t3 = h2.ActivityScheduled("task-3/attempt-1");
  int64_t t4 = h2.ActivityScheduled("task-4/attempt-1");
  h2.ActivityCompleted(t3, Result(3, json::array({Req("p.mjs", {{"n", 1}}, "again")})))
      .ActivityCompleted(t4, Result(4, json::array()))
      .TaskStarted();
  r = Replay(h2, next_run);
  ASSERT_EQ(ActivityIds(r), (std::vector<std::string>{"task-5/attempt-1"}));
  EXPECT_EQ(InputOf(r.commands[0])["script"], "/work/q.mjs");
  h2.TaskCompleted();
  int64_t t5 = h2.ActivityScheduled("task-5/attempt-1");
  h2.ActivityCompleted(t5, Result(5, json::array())).TaskStarted();
  json s = Closing(Replay(h2, next_run), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(s["continued_as_new"], 1);
  EXPECT_EQ(s["children"]["succeeded"], 5);
  EXPECT_EQ(s["enqueue"]["received"], 7);
  EXPECT_EQ(s["enqueue"]["deduped"], 2);
  EXPECT_EQ(s["final"]["run_id"], RunOf(0));
  EXPECT_EQ(s["child_runs"].size(), 5u);
}

TEST(TemporalCrawlWorkflowTest, TheServersSuggestionAlsoStartsTheDrain) {
  HistoryBuilder h(Input(1, 10, 1));
  h.Task();
  int64_t root = h.ActivityScheduled("task-0/attempt-1");
  h.ActivityCompleted(root, Result(0, json::array({Req("a.mjs", json::object(), "e1"),
                                                   Req("b.mjs", json::object(), "e2")})))
      .TaskStarted();
  // Mark the current task as suggested.
  ::temporal::api::history::v1::History hist = h.history();
  auto* started = hist.mutable_events(hist.events_size() - 1);
  started->mutable_workflow_task_started_event_attributes()->set_suggest_continue_as_new(true);
  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id(kWorkflowId);
  ex.set_run_id(kRunId);
  ReplayResult r = ReplayHistory(&CreateWorkflow, ex, kCrawlWorkflow, hist);
  json next = Closing(r, enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
  EXPECT_EQ(next["frontier"]["queued"], 2);
}

TEST(TemporalCrawlWorkflowTest, ReplayingAContinuedHistoryMatchesItsCommands) {
  json input = Input(1, 10, 1);
  input["continue_as_new_after"] = 20;
  HistoryBuilder h(input);
  h.Task();
  int64_t root = h.ActivityScheduled("task-0/attempt-1");
  PadTo(h, 21);
  h.ActivityCompleted(root, Result(0, json::array({Req("a.mjs", json::object(), "e1")})))
      .TaskStarted();
  ReplayResult r = Replay(h);
  Closing(r, enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
  h.TaskCompleted().Raw(enums::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
  r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  EXPECT_TRUE(r.commands.empty());
}

// 1,000 requests with 3 KB of hex each: a queue whose frontier is over the 1.5 MiB carried.
json HugeRequests() {
  json reqs = json::array();
  for (int i = 0; i < 1000; ++i) {
    std::string blob;
    for (int k = 0; blob.size() < 3000; ++k) {
      blob += NameBasedUuid(kQuarryRunIdNamespace, std::to_string(i) + "/" + std::to_string(k));
    }
    reqs.push_back(Req("p.mjs", {{"blob", blob}}, "e" + std::to_string(i)));
  }
  return reqs;
}

TEST(TemporalCrawlWorkflowTest, AFrontierTooLargeToCarryPostponesThenFailsClearly) {
  json input = Input(1, 5000, 1);
  input["continue_as_new_after"] = 20;
  HistoryBuilder h(input);
  h.Task();
  int64_t root = h.ActivityScheduled("task-0/attempt-1");
  PadTo(h, 21);
  h.ActivityCompleted(root, Result(0, HugeRequests())).TaskStarted();
  ReplayResult r = Replay(h);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
  // Not carried: the crawl goes on with the queue instead.
  EXPECT_EQ(ActivityIds(r), (std::vector<std::string>{"task-1/attempt-1"}));

  // The same state at 45,000 events: it gives up with a non-retryable failure.
  HistoryBuilder late(input);
  late.Task();
  root = late.ActivityScheduled("task-0/attempt-1");
  PadTo(late, 45'001);
  late.ActivityCompleted(root, Result(0, HugeRequests())).TaskStarted();
  r = Replay(late);
  ASSERT_EQ(r.commands.size(), 1u) << r.message;
  ASSERT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
  const auto& f = r.commands[0].fail_workflow_execution_command_attributes().failure();
  EXPECT_EQ(f.application_failure_info().type(), "CRAWL_FRONTIER_TOO_LARGE");
  EXPECT_TRUE(f.application_failure_info().non_retryable());
  EXPECT_NE(f.message().find("1000 queued tasks"), std::string::npos) << f.message();
}

TEST(TemporalCrawlStateTest, TheFrontierRoundTripsAndStaysSmallAtTenThousandTasks) {
  CrawlState s;
  s.crawl_run_id = kRunId;
  s.continued = 2;
  s.root = {{"run_id", "r0"}, {"outcome", "success"}};
  s.counters.accepted = 10'000;
  s.counters.received = 12'345;
  s.counters.skipped_depth = 7;
  for (int i = 0; i < 10'000; ++i) {
    const std::string target = "/site/detail.mjs";
    json params = {{"id", std::to_string(i)}, {"fixture", "detail-" + std::to_string(i) + ".html"}};
    EXPECT_TRUE(s.dedup.Insert(fanout::DedupKey(target, params.dump())));
    if (i >= 5'000) {  // half of them still queued
      QueuedTask t;
      t.index = i + 1;
      t.depth = 2;
      t.target = target;
      t.params = params;
      t.source = "shop";
      t.category = "detail";
      t.enqueued_by_run_id = AttemptRunId(kRunId, i / 100);
      t.enqueued_by_event_id = NameBasedUuid(kQuarryRunIdNamespace, std::to_string(i));
      s.queue.push_back(std::move(t));
    }
  }
  s.next_index = 10'001;
  auto f = EncodeFrontier(s);
  ASSERT_TRUE(f.ok()) << f.status().message();
  const size_t bytes = f->dump().size();
  // 10,000 dedup keys and 5,000 queued tasks with random event ids: well under the 512 KB at
  // which Temporal starts warning about a payload.
  EXPECT_LT(bytes, 400u * 1024) << bytes;
  std::cout << "frontier of 10,000 keys + 5,000 queued tasks: " << bytes << " bytes\n";
  auto back = DecodeFrontier(*f);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->crawl_run_id, kRunId);
  EXPECT_EQ(back->continued, 2);
  EXPECT_EQ(back->next_index, 10'001);
  EXPECT_EQ(back->counters.received, 12'345);
  EXPECT_EQ(back->counters.skipped_depth, 7);
  EXPECT_EQ(back->dedup.size(), 10'000u);
  EXPECT_TRUE(back->dedup.Contains(fanout::DedupKey(
      "/site/detail.mjs", json{{"id", "17"}, {"fixture", "detail-17.html"}}.dump())));
  EXPECT_FALSE(back->dedup.Contains(fanout::DedupKey("/site/detail.mjs", "{}")));
  ASSERT_EQ(back->queue.size(), 5'000u);
  EXPECT_EQ(back->queue.front().index, 5'001);
  EXPECT_EQ(back->queue.front().params, s.queue.front().params);
  EXPECT_EQ(back->queue.back().enqueued_by_event_id, s.queue.back().enqueued_by_event_id);
  EXPECT_EQ(back->queue.back().category, "detail");
}

TEST(TemporalCrawlStateTest, ForgedFrontiersAreRefusedNotTrusted) {
  CrawlState s;
  s.crawl_run_id = kRunId;
  auto f = EncodeFrontier(s);
  ASSERT_TRUE(f.ok());
  json bad = *f;
  bad["state"] = "!!!!";
  EXPECT_FALSE(DecodeFrontier(bad).ok());
  bad = *f;
  bad["state_bytes"] = int64_t{1} << 40;  // a zip bomb's claim
  EXPECT_FALSE(DecodeFrontier(bad).ok());
  bad = *f;
  bad["state_bytes"] = 3;
  EXPECT_FALSE(DecodeFrontier(bad).ok());
  EXPECT_FALSE(DecodeFrontier(json::array()).ok());
  EXPECT_TRUE(DecodeFrontier(*f).ok());
}

}  // namespace
}  // namespace quarry::temporal
