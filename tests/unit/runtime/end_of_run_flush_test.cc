// Checklist §10 item 18 (storage-and-policies.md §3.8, executor-contract.md §16–§17): exactly one
// runtime flush per run, after the executor has exited, on every path; a flush failure alone makes
// the outcome policy_failure. Driven through RunOrchestrator with a shell-script executor replaying
// prepared frames and an in-memory store that observes when the first write happens.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lode/mem_store.h"
#include "quarry/run/orchestrator.h"
#include "replay_executor.h"
#include "test_frames.h"

namespace quarry::run {
namespace {

using policy_testing::ChunkPayload;
using policy_testing::EventPayload;
using policy_testing::Framed;

class EndOfRunFlushTest : public ::testing::Test {
 protected:
  EndOfRunFlushTest() {
    store_ = std::make_shared<lode::MemStore>();
    // Buffered writes only in the end-of-run flush: its first store call is the flush's.
    store_->SetHook([this](lode::StoreOp op, std::string_view, std::string_view) -> Status {
      if (op != lode::StoreOp::kPut) return Status::Ok();
      if (puts_.fetch_add(1) == 0) executor_gone_at_first_put_ = ExecutorGone();
      return fail_puts_.load() ? IOError("disk on fire") : Status::Ok();
    });
  }
  bool ExecutorGone() const {
    std::ifstream in(executor_.pid_file());
    pid_t pid = 0;
    if (!(in >> pid) || pid <= 0) return false;
    return ::kill(pid, 0) == -1 && errno == ESRCH;
  }

  RunResult Run(const std::vector<std::string>& payloads, int exit_code,
                policy::PolicyConfig policy = Buffered(), std::string sleep = "",
                std::optional<Duration> timeout = std::nullopt) {
    std::string frames;
    for (const auto& p : payloads) frames += Framed(p);
    RunConfig c;
    executor_.Configure(frames, exit_code, &c);
    c.meta.run_id = std::string(policy_testing::kRunId);
    c.source = "test";
    c.store = store_;
    c.policy = std::move(policy);
    c.timeout = timeout;
    c.env.emplace_back("QT_SLEEP", sleep);
    RunOrchestrator orch(std::move(c));
    CancelToken cancel;
    return orch.Execute(&cancel);
  }

  static policy::PolicyConfig Buffered() {
    policy::PolicyConfig p;
    p.name = "buffered";
    p.buffer_bytes = 1 << 20;
    return p;
  }

  testing::ReplayExecutor executor_;
  std::shared_ptr<lode::MemStore> store_;
  std::atomic<int> puts_{0};
  std::atomic<bool> fail_puts_{false};
  std::atomic<bool> executor_gone_at_first_put_{false};
};

TEST_F(EndOfRunFlushTest, SuccessFlushesOnceAfterTheExecutorExited) {
  RunResult r = Run({EventPayload("item", 1), EventPayload("run_complete", 2)}, 0);
  EXPECT_EQ(r.outcome, Outcome::kSuccess) << r.message;
  EXPECT_EQ(r.policy_stats.flush_count, 1u);
  EXPECT_EQ(r.policy_stats.events_persisted, 2u);
  EXPECT_TRUE(executor_gone_at_first_put_.load());
}

TEST_F(EndOfRunFlushTest, ScriptErrorStillFlushesOnce) {
  RunResult r = Run({EventPayload("item", 1), EventPayload("run_error", 2)}, 1);
  EXPECT_EQ(r.outcome, Outcome::kScriptError) << r.message;
  EXPECT_EQ(r.policy_stats.flush_count, 1u);
  EXPECT_EQ(r.policy_stats.events_persisted, 2u);
  EXPECT_TRUE(executor_gone_at_first_put_.load());
}

TEST_F(EndOfRunFlushTest, CrashAndStreamErrorsStillFlushWhatWasAccepted) {
  RunResult crash = Run({EventPayload("item", 1)}, 2);
  EXPECT_EQ(crash.outcome, Outcome::kExecutorCrash);
  EXPECT_EQ(crash.policy_stats.flush_count, 1u);
  EXPECT_EQ(crash.policy_stats.events_persisted, 1u);
  EXPECT_TRUE(executor_gone_at_first_put_.load());

  RunResult gap = Run({EventPayload("item", 1), EventPayload("item", 3)}, 0);
  EXPECT_EQ(gap.outcome, Outcome::kExecutorCrash);
  EXPECT_NE(gap.message.find("seq violation"), std::string::npos) << gap.message;
  EXPECT_EQ(gap.policy_stats.flush_count, 1u);
  EXPECT_EQ(gap.policy_stats.events_persisted, 1u);
}

// A policy failure during ingestion kills the executor; the flush still persists what was
// accepted, and its outcome is the ingestion error, not the flush's.
TEST_F(EndOfRunFlushTest, PolicyFailureDuringIngestionStillFlushesOnce) {
  policy::PolicyConfig one_event = Buffered();
  one_event.buffer_bytes = 0;
  one_event.buffer_events = 1;
  RunResult r = Run({EventPayload("item", 1), EventPayload("item", 2), EventPayload("item", 3)}, 0,
                    one_event, "30");
  EXPECT_EQ(r.outcome, Outcome::kPolicyFailure);
  EXPECT_EQ(r.message, "buffer full: cannot accept non-droppable event");
  EXPECT_EQ(r.policy_stats.flush_count, 1u);
  EXPECT_EQ(r.policy_stats.events_persisted, 1u);
  EXPECT_TRUE(executor_gone_at_first_put_.load());
}

TEST_F(EndOfRunFlushTest, TimeoutAndStartFailureStillFlushOnce) {
  RunResult timed_out =
      Run({EventPayload("item", 1)}, 0, Buffered(), "30", std::chrono::milliseconds(500));
  EXPECT_EQ(timed_out.outcome, Outcome::kExecutorCrash);
  EXPECT_NE(timed_out.message.find("timed out"), std::string::npos) << timed_out.message;
  EXPECT_EQ(timed_out.policy_stats.flush_count, 1u);
  EXPECT_EQ(timed_out.policy_stats.events_persisted, 1u);
  EXPECT_TRUE(executor_gone_at_first_put_.load());

  std::filesystem::remove(executor_.path());
  RunResult not_started = Run({}, 0);
  EXPECT_EQ(not_started.outcome, Outcome::kExecutorCrash);
  EXPECT_EQ(not_started.policy_stats.flush_count, 1u);
}

// Streaming tags it `termination`.
TEST_F(EndOfRunFlushTest, StreamingEndOfRunFlushIsTheTerminationTrigger) {
  policy::PolicyConfig streaming;
  streaming.name = "streaming";
  streaming.flush_count = 1000;
  RunResult r = Run(
      {EventPayload("item", 1), ChunkPayload("a", 1, "x", true), EventPayload("run_complete", 2)},
      0, streaming);
  EXPECT_EQ(r.outcome, Outcome::kSuccess) << r.message;
  ASSERT_TRUE(r.policy_stats.flush_triggers.has_value());
  EXPECT_EQ(r.policy_stats.flush_triggers->termination, 1u);
  EXPECT_EQ(r.policy_stats.flush_count, 1u);
  EXPECT_EQ(r.policy_stats.events_persisted, 2u);
}

// Rule 5 of the outcome table: a failed end-of-run flush alone -> policy_failure.
TEST_F(EndOfRunFlushTest, FlushFailureAloneIsAPolicyFailure) {
  fail_puts_ = true;
  RunResult r = Run({EventPayload("item", 1), EventPayload("run_complete", 2)}, 0);
  EXPECT_EQ(r.outcome, Outcome::kPolicyFailure);
  EXPECT_NE(r.message.find("disk on fire"), std::string::npos) << r.message;
  EXPECT_EQ(r.policy_stats.flush_count, 1u);
  EXPECT_EQ(r.policy_stats.events_persisted, 0u);
  EXPECT_EQ(r.policy_stats.errors, 1u);
}

}  // namespace
}  // namespace quarry::run
