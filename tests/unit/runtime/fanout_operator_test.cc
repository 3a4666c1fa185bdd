// The fan-out operator's rules (cli-and-integrations.md §9) and the retry addition
// (docs/fanout.md), with children run by a scripted launcher.
#include "quarry/fanout/operator.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "fanout_test_support.h"
#include "quarry/fanout/enqueue.h"
#include "quarry/fanout/run_id.h"
#include "quarry/fanout/settings.h"

namespace quarry::fanout {
namespace {

using fanout_testing::Enqueue;
using fanout_testing::EventWith;
using fanout_testing::RecordingRecorder;
using fanout_testing::ScriptedLauncher;
using nlohmann::json;

const Enqueuer kRoot{"root-1", 0, "src0", "cat0"};

Limits MakeLimits(int64_t depth, int64_t max_runs, int64_t parallel = 1, int64_t retries = 0) {
  Limits l;
  l.depth = depth;
  l.max_runs = max_runs;
  l.parallel = parallel;
  l.child_retries = retries;
  l.retry_base = std::chrono::milliseconds(1);
  l.retry_cap = std::chrono::milliseconds(4);
  return l;
}

// Runs a crawl whose root emits `root_events`, to the end.
Summary Crawl(Operator& op, const std::vector<Event>& root_events) {
  op.Start(nullptr);
  for (const Event& ev : root_events) op.OnEvent(kRoot, ev);
  op.RootDone();
  return op.Wait();
}

std::multiset<std::string> Targets(const std::vector<ScriptedLauncher::Call>& calls) {
  std::multiset<std::string> out;
  for (const auto& c : calls) out.insert(c.task.target);
  return out;
}

TEST(FanoutOperator, DepthLimitSkipsDeeperChildren) {
  ScriptedLauncher l;
  l.emits["a.mjs"] = {{{"target", "b.mjs"}}};
  l.emits["b.mjs"] = {{{"target", "c.mjs"}}};  // depth 3 > --depth 2
  Operator op(MakeLimits(2, 10), &l);
  Summary s = Crawl(op, {Enqueue("a.mjs")});
  EXPECT_EQ(Targets(l.Calls()), (std::multiset<std::string>{"a.mjs", "b.mjs"}));
  EXPECT_EQ(s.received, 3u);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(s.deduped, 0u);
  for (const auto& c : l.Calls()) {
    EXPECT_EQ(c.task.link.depth, c.task.target == "a.mjs" ? 1 : 2);
  }
}

TEST(FanoutOperator, DedupKeyIsTargetAndCanonicalParamsOnly) {
  ScriptedLauncher l;
  Operator op(MakeLimits(1, 10), &l);
  Summary s = Crawl(op, {
                            Enqueue("a.mjs", {{"x", 1}, {"y", 2}}),
                            Enqueue("a.mjs", {{"y", 2}, {"x", 1}}),  // same params, other order
                            Enqueue("a.mjs", {{"x", 1}, {"y", 2}}, "other-source", "other-cat"),
                            Enqueue("a.mjs", {{"x", 2}}),
                            Enqueue("./a.mjs", {{"x", 1}, {"y", 2}}),  // target compared exactly
                        });
  EXPECT_EQ(s.received, 5u);
  EXPECT_EQ(s.deduped, 2u);
  EXPECT_EQ(s.skipped, 0u);
  EXPECT_EQ(l.Calls().size(), 3u);
  EXPECT_EQ(DedupKey("a.mjs", R"({"x":1,"y":2})"),
            DedupKey("a.mjs", json::parse(R"({"y":2,"x":1})").dump()));
}

TEST(FanoutOperator, RootIsNotInTheDedupSet) {
  ScriptedLauncher l;
  Operator op(MakeLimits(1, 10), &l);
  // The root's own script with its own (empty) job still gets a child.
  Summary s = Crawl(op, {Enqueue("root.mjs")});
  EXPECT_EQ(l.Calls().size(), 1u);
  EXPECT_EQ(s.deduped, 0u);
}

TEST(FanoutOperator, MaxRunsCapSkipsAndARepeatStillCountsAsDeduped) {
  ScriptedLauncher l;
  Operator op(MakeLimits(1, 2), &l);
  Summary s = Crawl(
      op, {Enqueue("a.mjs", {{"n", 1}}), Enqueue("a.mjs", {{"n", 2}}), Enqueue("a.mjs", {{"n", 3}}),
           Enqueue("a.mjs", {{"n", 4}}), Enqueue("a.mjs", {{"n", 1}})});
  EXPECT_EQ(l.Calls().size(), 2u);
  EXPECT_EQ(s.received, 5u);
  EXPECT_EQ(s.skipped, 2u);
  EXPECT_EQ(s.deduped, 1u);
}

TEST(FanoutOperator, BadTargetsAreSkippedAndNonObjectParamsBecomeEmpty) {
  ScriptedLauncher l;
  Operator op(MakeLimits(1, 10), &l);
  Summary s =
      Crawl(op, {EventWith("enqueue", {{"target", ""}}), EventWith("enqueue", {{"target", 7}}),
                 EventWith("enqueue", {{"params", json::object()}}),
                 EventWith("enqueue", {{"target", "a.mjs"}, {"params", json::array({1})}}),
                 EventWith("item", {{"item_type", "x"}, {"data", json::object()}})});
  EXPECT_EQ(s.received, 4u);  // the item is not an enqueue
  EXPECT_EQ(s.skipped, 3u);
  ASSERT_EQ(l.Calls().size(), 1u);
  EXPECT_EQ(l.Calls()[0].task.params_json, "{}");
}

TEST(FanoutOperator, SourceAndCategoryComeFromTheEnqueuingRunDownThreeLevels) {
  ScriptedLauncher l;
  l.emits["a.mjs"] = {{{"target", "b.mjs"}, {"category", "cat2"}}};
  l.emits["b.mjs"] = {{{"target", "c.mjs"}}};
  Operator op(MakeLimits(3, 10), &l);
  Crawl(op, {Enqueue("a.mjs", json::object(), "src1")});
  std::map<std::string, ScriptedLauncher::Call> by;
  for (auto& c : l.Calls()) by[c.task.target] = c;
  ASSERT_EQ(by.size(), 3u);
  EXPECT_EQ(by["a.mjs"].task.source, "src1");
  EXPECT_EQ(by["a.mjs"].task.category, "cat0");
  EXPECT_EQ(by["b.mjs"].task.source, "src1");  // the parent's override, not the root's value
  EXPECT_EQ(by["b.mjs"].task.category, "cat2");
  EXPECT_EQ(by["c.mjs"].task.source, "src1");
  EXPECT_EQ(by["c.mjs"].task.category, "cat2");
  // The link names the enqueuing run and its event; depth counts from the root.
  EXPECT_EQ(by["a.mjs"].task.link.enqueued_by_run_id, "root-1");
  EXPECT_EQ(by["b.mjs"].task.link.enqueued_by_run_id, by["a.mjs"].attempt.run_id);
  EXPECT_EQ(by["c.mjs"].task.link.enqueued_by_run_id, by["b.mjs"].attempt.run_id);
  EXPECT_EQ(by["c.mjs"].task.link.depth, 3);
  EXPECT_FALSE(by["c.mjs"].task.link.enqueued_by_event_id.empty());
  for (auto& [target, c] : by) {
    EXPECT_EQ(c.attempt.attempt, 1);
    EXPECT_FALSE(c.attempt.parent_run_id.has_value());
  }
}

TEST(FanoutOperator, ChildrenStartWhileTheRootRunsAtMostParallelAtOnce) {
  ScriptedLauncher l;
  for (int i = 0; i < 6; ++i) l.block.insert("c" + std::to_string(i));
  Operator op(MakeLimits(1, 10, 3), &l);
  op.Start(nullptr);
  for (int i = 0; i < 6; ++i) op.OnEvent(kRoot, Enqueue("c" + std::to_string(i)));
  l.WaitForCalls(3);  // before RootDone: concurrent with the root
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(l.Calls().size(), 3u);  // the other three wait in the queue
  op.Cancel("SIGTERM");
  Summary s = op.Wait();
  EXPECT_EQ(l.max_running, 3);
  EXPECT_EQ(l.Calls().size(), 3u);  // nothing dispatched after the cancel
  ASSERT_EQ(s.runs.size(), 3u);
  for (const auto& r : s.runs) {
    EXPECT_TRUE(r.result.canceled);
    EXPECT_EQ(r.result.outcome, run::Outcome::kExecutorCrash);
  }
}

TEST(FanoutOperator, QueueIsFifo) {
  ScriptedLauncher l;
  Operator op(MakeLimits(1, 10, 1), &l);
  std::vector<Event> evs;
  for (int i = 0; i < 5; ++i) evs.push_back(Enqueue("t" + std::to_string(i)));
  Crawl(op, evs);
  std::vector<std::string> order;
  for (const auto& c : l.Calls()) order.push_back(c.task.target);
  EXPECT_EQ(order, (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));
}

TEST(FanoutOperator, CancelTokenOfTheCrawlReachesRunningChildren) {
  ScriptedLauncher l;
  l.block = {"a", "b"};
  Operator op(MakeLimits(1, 10, 2), &l);
  run::CancelToken crawl;
  op.Start(&crawl);
  op.OnEvent(kRoot, Enqueue("a"));
  op.OnEvent(kRoot, Enqueue("b"));
  l.WaitForCalls(2);
  crawl.Cancel("SIGTERM");
  Summary s = op.Wait();  // returns although the root never reported done
  EXPECT_EQ(s.runs.size(), 2u);
}

TEST(FanoutOperator, FailedChildIsRetriedWithLineage) {
  ScriptedLauncher l;
  l.outcomes["a"] = {run::Outcome::kScriptError, run::Outcome::kExecutorCrash,
                     run::Outcome::kSuccess};
  RecordingRecorder rec;
  Operator op(MakeLimits(1, 10, 1, 3), &l, &rec);
  Summary s = Crawl(op, {Enqueue("a")});
  auto calls = l.Calls();
  ASSERT_EQ(calls.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(calls[i].attempt.attempt, static_cast<int64_t>(i + 1));
    EXPECT_EQ(calls[i].task.link.enqueued_by_run_id, "root-1");  // the same link every time
  }
  EXPECT_FALSE(calls[0].attempt.parent_run_id);
  EXPECT_EQ(calls[1].attempt.parent_run_id, calls[0].attempt.run_id);
  EXPECT_EQ(calls[2].attempt.parent_run_id, calls[1].attempt.run_id);
  EXPECT_NE(calls[1].attempt.run_id, calls[0].attempt.run_id);
  EXPECT_EQ(s.runs.size(), 3u);
  EXPECT_EQ(s.retries, 2u);
  EXPECT_EQ(s.exhausted, 0u);
  EXPECT_EQ(rec.log, (std::vector<std::string>{"task a", "start a #1", "end a #1 script_error",
                                               "start a #2", "end a #2 executor_crash",
                                               "start a #3", "end a #3 success"}));
}

TEST(FanoutOperator, RetriesRunOutAndAreNotCountedAgainstMaxRuns) {
  ScriptedLauncher l;
  l.outcomes["a"] = {run::Outcome::kPolicyFailure};
  Operator op(MakeLimits(1, 2, 1, 2), &l);
  Summary s = Crawl(op, {Enqueue("a"), Enqueue("b")});
  EXPECT_EQ(l.attempts_of["a"], 3u);
  EXPECT_EQ(l.attempts_of["b"], 1u);
  EXPECT_EQ(s.exhausted, 1u);
  EXPECT_EQ(s.retries, 2u);
  EXPECT_EQ(s.skipped, 0u);
}

TEST(FanoutOperator, NoRetriesByDefault) {
  ScriptedLauncher l;
  l.outcomes["a"] = {run::Outcome::kScriptError, run::Outcome::kSuccess};
  Operator op(MakeLimits(1, 10), &l);
  Summary s = Crawl(op, {Enqueue("a")});
  EXPECT_EQ(l.Calls().size(), 1u);
  ASSERT_EQ(s.runs.size(), 1u);
  EXPECT_EQ(s.runs[0].result.outcome, run::Outcome::kScriptError);
}

TEST(FanoutOperator, RestoreCarriesDedupSetCapAndPendingWork) {
  ScriptedLauncher l;
  Operator op(MakeLimits(1, 3, 1, 1), &l);
  Carryover c;
  const std::string done_key = DedupKey("done", "{}");
  const std::string pend_key = DedupKey("pending", "{}");
  c.known_keys = {done_key, pend_key};
  Carryover::Pending p;
  p.task.key = pend_key;
  p.task.target = "pending";
  p.task.params_json = "{}";
  p.task.link = {"root-0", "ev-1", 1};
  p.next_attempt = 2;
  p.parent_run_id = "interrupted-run";
  p.interrupted = true;
  c.pending.push_back(p);
  ChildRun earlier;
  earlier.attempt.run_id = "aaaa";
  earlier.result.outcome = run::Outcome::kSuccess;
  c.finished_runs.push_back(earlier);
  op.Restore(c);
  // "done" is deduplicated; one new task fits under --max-runs 3, the next does not.
  Summary s = Crawl(op, {Enqueue("done"), Enqueue("new1"), Enqueue("new2")});
  EXPECT_EQ(s.deduped, 1u);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(Targets(l.Calls()), (std::multiset<std::string>{"pending", "new1"}));
  for (const auto& call : l.Calls()) {
    if (call.task.target != "pending") continue;
    EXPECT_EQ(call.attempt.attempt, 2);
    EXPECT_EQ(call.attempt.parent_run_id, "interrupted-run");
  }
  EXPECT_TRUE(s.resumed);
  EXPECT_EQ(s.rerun_interrupted, 1u);
  EXPECT_EQ(s.runs.size(), 3u);
  EXPECT_TRUE(
      std::any_of(s.runs.begin(), s.runs.end(), [](const ChildRun& r) { return r.earlier; }));
}

TEST(FanoutOperator, ChildRunIdsAreUuidV4) {
  std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    std::string id = NewRunId();
    EXPECT_TRUE(std::regex_match(id, uuid)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST(FanoutSummary, TextOfSection9) {
  Summary s;
  s.received = 5;
  s.deduped = 1;
  s.skipped = 2;
  ChildRun a, b;
  a.attempt.run_id = "bbb";
  a.result = {run::Outcome::kScriptError, 3, 1500, "boom", false};
  b.attempt.run_id = "aaa";
  b.result = {run::Outcome::kSuccess, 2, 250, "", false};
  s.runs = {b, a};
  EXPECT_EQ(FormatSummary(s),
            "=== Fan-Out Summary ===\n"
            "Child Runs:       2 total, 1 succeeded, 1 failed\n"
            "Enqueue Events:   5 received, 1 deduped, 2 skipped\n"
            "--- Child Run Results ---\n"
            "  aaa: outcome=success, events=2, duration=250ms\n"
            "  bbb: outcome=script_error, events=3, duration=1.5s\n");
  Summary empty;
  EXPECT_EQ(FormatSummary(empty),
            "=== Fan-Out Summary ===\n"
            "Child Runs:       0 total, 0 succeeded, 0 failed\n"
            "Enqueue Events:   0 received, 0 deduped, 0 skipped\n");
}

TEST(FanoutSummary, RetriesAndResumeAreNamed) {
  Summary s;
  s.child_retries = 2;
  s.retries = 1;
  s.exhausted = 0;
  s.resumed = true;
  s.rerun_interrupted = 1;
  ChildRun r;
  r.attempt = {"ccc", 2, "bbb"};
  r.result = {run::Outcome::kSuccess, 2, 10, "", false};
  r.earlier = true;
  s.runs = {r};
  std::string text = FormatSummary(s);
  EXPECT_NE(text.find("Child Retries:    1 retries, 0 tasks failed on every attempt\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Resumed:          1 child runs ended in earlier invocations"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  ccc: outcome=success, events=2, duration=10ms, attempt=2, "
                      "parent_run_id=bbb, earlier invocation\n"),
            std::string::npos)
      << text;
}

TEST(FanoutSettings, ValidationOfSection4_3Step11) {
  auto check = [](Settings s) { return ValidateSettings(s, nullptr); };
  Settings ok;
  EXPECT_TRUE(check(ok).ok());
  Settings s = ok;
  s.depth = -1;
  EXPECT_EQ(check(s).message(), "--depth must be >= 0 (got -1)");
  s = ok;
  s.max_runs = -2;
  EXPECT_EQ(check(s).message(), "--max-runs must be >= 0 (got -2)");
  s = ok;
  s.parallel = 0;
  EXPECT_EQ(check(s).message(), "--parallel must be >= 1 (got 0)");
  s = ok;
  s.depth = 1;
  EXPECT_EQ(check(s).message(), "--max-runs must be > 0 when --depth > 0");
  s = ok;
  s.max_runs = 5;  // accepted without --depth, no effect
  EXPECT_TRUE(check(s).ok());
  s = ok;
  s.resume = true;
  EXPECT_EQ(check(s).message(), "--resume continues a fan-out crawl: it needs --depth > 0");
  s = ok;
  s.child_retries = -1;
  EXPECT_EQ(check(s).message(), "--child-retries must be >= 0 (got -1)");

  std::vector<std::string> warnings;
  s = ok;
  s.parallel = 4;
  s.parallel_set = true;
  EXPECT_TRUE(ValidateSettings(s, [&](const std::string& w) { warnings.push_back(w); }).ok());
  EXPECT_EQ(warnings, std::vector<std::string>{"--parallel has no effect without --depth"});
}

}  // namespace
}  // namespace quarry::fanout
