// The crawl journal of --resume (docs/fanout.md): what is written, how it reads back, what a
// resume still owes, and what it refuses.
#include "quarry/fanout/journal.h"

#include <gtest/gtest.h>

#include "fanout_test_support.h"
#include "quarry/lode/store.h"

namespace quarry::fanout {
namespace {

CrawlHeader Header() {
  CrawlHeader h;
  h.root_run_id = "crawl-1";
  h.script = "root.mjs";
  h.job_json = R"({"page":1})";
  h.job_id = "job-9";
  h.source = "s";
  h.category = "c";
  h.depth = 2;
  h.max_runs = 50;
  h.created_at = "2026-01-01T00:00:00Z";
  return h;
}

Task MakeTask(const std::string& target) {
  Task t;
  t.target = target;
  t.params_json = R"({"n":1})";
  t.key = "key-" + target;
  t.source = "s";
  t.category = "c";
  t.link = {"crawl-1", "ev-" + target, 1};
  return t;
}

AttemptResult Ended(run::Outcome o, bool canceled = false) {
  AttemptResult r;
  r.outcome = o;
  r.events = 3;
  r.duration_ms = 42;
  r.message = "msg";
  r.canceled = canceled;
  return r;
}

class FanoutJournal : public ::testing::Test {
 protected:
  std::shared_ptr<lode::Store> store_ = lode::NewMemStore();

  std::unique_ptr<Journal> Open(uint64_t next_seq = 0) {
    return std::make_unique<Journal>(store_, "ds", "crawl-1", next_seq,
                                     [this](const std::string& p) { conflicts_.push_back(p); });
  }
  JournalState Load() {
    auto loaded = LoadJournal(store_.get(), "ds", "crawl-1");
    EXPECT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_TRUE(loaded.ok() && loaded->has_value());
    return loaded.ok() && loaded->has_value() ? **loaded : JournalState{};
  }
  std::vector<std::string> conflicts_;
};

TEST_F(FanoutJournal, NoJournalIsNotAnError) {
  auto loaded = LoadJournal(store_.get(), "ds", "crawl-1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(FanoutJournal, RoundTripsTheFrontier) {
  {
    auto j = Open();
    ASSERT_TRUE(j->WriteHeader(Header()).ok());
    ASSERT_TRUE(j->OnRootStart({"crawl-1", 1, std::nullopt}).ok());
    j->OnTask(MakeTask("a"));
    j->OnTask(MakeTask("b"));
    ASSERT_TRUE(j->OnStart(MakeTask("a"), {"run-a1", 1, std::nullopt}).ok());
    j->OnEnd(MakeTask("a"), {"run-a1", 1, std::nullopt}, Ended(run::Outcome::kScriptError));
    ASSERT_TRUE(j->OnStart(MakeTask("a"), {"run-a2", 2, "run-a1"}).ok());
    ASSERT_TRUE(j->OnRootEnd({"crawl-1", 1, std::nullopt}, Ended(run::Outcome::kSuccess)).ok());
  }
  JournalState st = Load();
  EXPECT_EQ(st.header.root_run_id, "crawl-1");
  EXPECT_EQ(st.header.job_json, R"({"page":1})");
  EXPECT_EQ(st.header.job_id, "job-9");
  EXPECT_EQ(st.header.depth, 2);
  EXPECT_EQ(st.header.max_runs, 50);
  ASSERT_EQ(st.tasks.size(), 2u);
  const JournalTask& a = st.tasks[0];
  EXPECT_EQ(a.task.target, "a");
  EXPECT_EQ(a.task.params_json, R"({"n":1})");
  EXPECT_EQ(a.task.link.enqueued_by_event_id, "ev-a");
  EXPECT_EQ(a.task.link.depth, 1);
  ASSERT_EQ(a.attempts.size(), 2u);
  EXPECT_TRUE(a.attempts[0].ended);
  EXPECT_EQ(a.attempts[0].result.outcome, run::Outcome::kScriptError);
  EXPECT_EQ(a.attempts[0].result.events, 3);
  EXPECT_FALSE(a.attempts[1].ended);
  EXPECT_EQ(a.attempts[1].attempt.parent_run_id, "run-a1");
  ASSERT_EQ(st.root_attempts.size(), 1u);
  EXPECT_TRUE(st.root_attempts[0].ended);
  EXPECT_GT(st.next_seq, 0u);

  // A second writer continues after the existing objects.
  {
    auto j = Open(st.next_seq);
    j->OnEnd(MakeTask("a"), {"run-a2", 2, "run-a1"}, Ended(run::Outcome::kSuccess));
    ASSERT_TRUE(j->Flush().ok());
  }
  EXPECT_TRUE(conflicts_.empty());
  EXPECT_TRUE(Load().tasks[0].attempts[1].ended);
}

TEST_F(FanoutJournal, ObjectsLiveUnderTheDatasetAndAreNeverRewritten) {
  auto j = Open();
  ASSERT_TRUE(j->WriteHeader(Header()).ok());
  ASSERT_TRUE(j->OnRootStart({"crawl-1", 1, std::nullopt}).ok());
  auto keys = store_->List("datasets/ds/fanout/");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0], "datasets/ds/fanout/run_id=crawl-1/journal/00000000000000000000.jsonl");
  EXPECT_EQ((*keys)[1], "datasets/ds/fanout/run_id=crawl-1/journal/00000000000000000001.jsonl");
}

TEST_F(FanoutJournal, IgnoresForeignNamesAndRejectsCorruptLines) {
  {
    auto j = Open();
    ASSERT_TRUE(j->WriteHeader(Header()).ok());
  }
  const std::string dir = JournalPrefix("ds", "crawl-1");
  ASSERT_TRUE(store_->Put(dir + ".lode-tmp-0123456789abcdef", "garbage").ok());
  EXPECT_EQ(Load().header.script, "root.mjs");
  ASSERT_TRUE(store_->Put(dir + "00000000000000000001.jsonl", "{\"kind\":\"task\",\n").ok());
  auto loaded = LoadJournal(store_.get(), "ds", "crawl-1");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("00000000000000000001.jsonl line 1"), std::string::npos)
      << loaded.status().message();
}

TEST_F(FanoutJournal, AnotherWriterOfTheSameJournalIsAConflict) {
  auto first = Open();
  ASSERT_TRUE(first->WriteHeader(Header()).ok());
  auto second = Open(0);  // believes it starts the journal too
  EXPECT_TRUE(second->WriteHeader(Header()).ok());
  // Identical bytes would count as its own earlier put; a different created_at does not.
  CrawlHeader other = Header();
  other.created_at = "2026-02-02T00:00:00Z";
  auto third = Open(0);
  EXPECT_FALSE(third->WriteHeader(other).ok());
  EXPECT_EQ(conflicts_.size(), 1u);
}

TEST_F(FanoutJournal, CarryoverOfEveryTaskState) {
  JournalState st;
  st.header = Header();
  auto task = [&](const std::string& name, std::vector<JournalAttempt> attempts) {
    st.tasks.push_back({MakeTask(name), std::move(attempts)});
  };
  auto attempt = [](std::string id, int64_t n, std::optional<AttemptResult> r) {
    JournalAttempt a;
    a.attempt = {std::move(id), n, n > 1 ? std::optional<std::string>("prev") : std::nullopt};
    a.ended = r.has_value();
    if (r) a.result = *r;
    return a;
  };
  task("never-started", {});
  task("succeeded", {attempt("s1", 1, Ended(run::Outcome::kSuccess))});
  task("interrupted", {attempt("i1", 1, std::nullopt)});
  task("canceled", {attempt("c1", 1, Ended(run::Outcome::kExecutorCrash, true))});
  task("failed-once", {attempt("f1", 1, Ended(run::Outcome::kScriptError))});
  task("failed-twice", {attempt("g1", 1, Ended(run::Outcome::kScriptError)),
                        attempt("g2", 2, Ended(run::Outcome::kScriptError))});
  task("retried-ok", {attempt("r1", 1, Ended(run::Outcome::kScriptError)),
                      attempt("r2", 2, Ended(run::Outcome::kSuccess))});

  Carryover c = PlanCarryover(st, /*child_retries=*/1);
  EXPECT_EQ(c.known_keys.size(), 7u);
  std::map<std::string, Carryover::Pending> pending;
  for (auto& p : c.pending) pending[p.task.target] = p;
  EXPECT_EQ(pending.size(), 4u);
  EXPECT_EQ(pending.count("never-started"), 1u);
  EXPECT_EQ(pending["never-started"].next_attempt, 1);
  EXPECT_FALSE(pending["never-started"].parent_run_id);
  EXPECT_TRUE(pending["interrupted"].interrupted);
  EXPECT_EQ(pending["interrupted"].next_attempt, 2);
  EXPECT_EQ(pending["interrupted"].parent_run_id, "i1");
  EXPECT_EQ(pending["interrupted"].failures, 0);
  EXPECT_TRUE(pending["canceled"].interrupted);
  EXPECT_EQ(pending["failed-once"].next_attempt, 2);
  EXPECT_EQ(pending["failed-once"].parent_run_id, "f1");
  EXPECT_EQ(pending["failed-once"].failures, 1);
  EXPECT_FALSE(pending["failed-once"].interrupted);
  EXPECT_EQ(
      pending.count("succeeded") + pending.count("failed-twice") + pending.count("retried-ok"), 0u);
  EXPECT_EQ(c.exhausted, 1u);             // failed-twice with one retry allowed
  EXPECT_EQ(c.retries, 2u);               // g2 and r2
  EXPECT_EQ(c.finished_runs.size(), 7u);  // every ended attempt, the canceled one included

  // More retries allowed on resume: failed-twice runs again.
  Carryover more = PlanCarryover(st, 3);
  EXPECT_EQ(more.pending.size(), 5u);
  EXPECT_EQ(more.exhausted, 0u);
}

TEST(FanoutJournalHeader, AResumeMustDescribeTheSameCrawl) {
  CrawlHeader a = Header();
  CrawlHeader b = Header();
  b.created_at = "later";
  b.job_json = R"({ "page" : 1 })";  // the same JSON
  EXPECT_TRUE(CheckSameCrawl(a, b).ok());
  b.depth = 3;
  EXPECT_EQ(CheckSameCrawl(a, b).message(),
            "--resume: --depth differs from the crawl being resumed (it had 2, this invocation "
            "has 3)");
  b = Header();
  b.script = "other.mjs";
  EXPECT_EQ(CheckSameCrawl(a, b).message(),
            "--resume: --script differs from the crawl being resumed (it had \"root.mjs\", this "
            "invocation has \"other.mjs\")");
  b = Header();
  b.job_id.reset();
  EXPECT_FALSE(CheckSameCrawl(a, b).ok());
  b = Header();
  b.job_json = R"({"page":2})";
  EXPECT_FALSE(CheckSameCrawl(a, b).ok());
}

}  // namespace
}  // namespace quarry::fanout
