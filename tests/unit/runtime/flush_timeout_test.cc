// storage-and-policies.md §3.8 (Decision D2): the end-of-run flush and the metrics write are each
// bounded (120 s in production). A store that stops answering must not hang the run: it ends with
// the contract's outcome and a one-line message, and the flush that outlived the bound finishes
// later on its own thread without touching anything the run has already released.
//
// The bounds are shortened through RunConfig; the only thing asserted about time is that Execute
// and PersistMetrics returned at all.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lode/mem_store.h"
#include "quarry/lode/reader.h"
#include "quarry/run/orchestrator.h"
#include "replay_executor.h"
#include "test_frames.h"

namespace quarry::run {
namespace {

using policy_testing::EventPayload;
using policy_testing::Framed;
using namespace std::chrono_literals;

// Holds every store write until released, like a filesystem or bucket that stopped answering.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class FlushTimeoutTest : public ::testing::Test {
 protected:
  FlushTimeoutTest() {
    store_ = std::make_shared<lode::MemStore>();
    store_->SetHook([gate = gate_](lode::StoreOp op, std::string_view, std::string_view) {
      if (op == lode::StoreOp::kPut) gate->Wait();
      return Status::Ok();
    });
  }

  ~FlushTimeoutTest() override {
    gate_->Open();  // never leave a helper thread blocked behind a failed assertion
    WaitUntilReleased();
  }

  RunConfig Config(const std::vector<std::string>& payloads, int exit_code) {
    std::string frames;
    for (const auto& p : payloads) frames += Framed(p);
    RunConfig c;
    executor_.Configure(frames, exit_code, &c);
    c.meta.run_id = std::string(policy_testing::kRunId);
    c.source = "test";
    c.store = store_;
    c.policy.name = "buffered";
    c.policy.buffer_bytes = 1 << 20;
    c.flush_timeout = 200ms;
    c.metrics_timeout = 200ms;
    return c;
  }

  // The abandoned flush and metrics write hold the store through the run's writer until they
  // finish; afterwards only this fixture does. Bounded generously: this is not a timing check.
  bool WaitUntilReleased() {
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (store_.use_count() > 1) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  testing::ReplayExecutor executor_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  std::shared_ptr<lode::MemStore> store_;
};

TEST_F(FlushTimeoutTest, AFlushThatDoesNotFinishEndsTheRunAsPolicyFailure) {
  RunResult r;
  Status metrics;
  {
    RunOrchestrator orch(Config(
        {EventPayload("item", 1), EventPayload("item", 2), EventPayload("run_complete", 3)}, 0));
    CancelToken cancel;
    r = orch.Execute(&cancel);
    metrics = orch.PersistMetrics(r);
  }  // the orchestrator is gone while its flush is still blocked in the store

  EXPECT_EQ(r.outcome, Outcome::kPolicyFailure);
  EXPECT_EQ(r.ExitCode(), 3);
  EXPECT_EQ(r.message, "end-of-run flush did not finish within 200ms");
  EXPECT_EQ(r.message.find('\n'), std::string::npos);
  EXPECT_EQ(r.policy_stats.events_persisted, 0u);
  EXPECT_EQ(r.metrics.runs_failed_total, 1u);
  EXPECT_EQ(metrics.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(metrics.message(), "metrics write did not finish within 200ms");

  // Once the store answers again, the abandoned flush completes, then the metrics write queued
  // behind it on the run's writer, in that order, and everything is released.
  gate_->Open();
  ASSERT_TRUE(WaitUntilReleased());
  auto chain = lode::WalkChain(*store_, "quarry");
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  ASSERT_EQ(chain->size(), 2u);  // newest first
  auto events = lode::ReadSnapshotRecords(*store_, (*chain)[1]);
  auto metrics_records = lode::ReadSnapshotRecords(*store_, (*chain)[0]);
  ASSERT_TRUE(events.ok() && metrics_records.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0]["record_kind"], "event");
  ASSERT_EQ(metrics_records->size(), 1u);
  EXPECT_EQ((*metrics_records)[0]["record_kind"], "metrics");
  EXPECT_EQ((*metrics_records)[0]["outcome"], "policy_failure");
}

// §3.8: after an earlier failure the flush error is only logged; the outcome is the earlier one.
TEST_F(FlushTimeoutTest, AfterAnEarlierFailureTheTimeoutDoesNotChangeTheOutcome) {
  RunResult r;
  {
    // A seq gap is an ingestion (stream) error: the run is already failed when the flush starts.
    RunOrchestrator orch(Config({EventPayload("item", 1), EventPayload("item", 3)}, 0));
    CancelToken cancel;
    r = orch.Execute(&cancel);
  }
  EXPECT_EQ(r.outcome, Outcome::kExecutorCrash);
  EXPECT_NE(r.message.find("seq violation"), std::string::npos) << r.message;
  EXPECT_EQ(r.policy_stats.events_persisted, 0u);
  gate_->Open();
  ASSERT_TRUE(WaitUntilReleased());
}

// A store that answers within the bound changes nothing: the flush's result is the run's.
TEST_F(FlushTimeoutTest, AFlushWithinTheBoundIsWaitedFor) {
  gate_->Open();
  RunConfig c = Config({EventPayload("item", 1), EventPayload("run_complete", 2)}, 0);
  c.flush_timeout = 60s;
  c.metrics_timeout = 60s;
  RunOrchestrator orch(std::move(c));
  CancelToken cancel;
  RunResult r = orch.Execute(&cancel);
  EXPECT_EQ(r.outcome, Outcome::kSuccess) << r.message;
  EXPECT_EQ(r.policy_stats.events_persisted, 2u);
  EXPECT_TRUE(orch.PersistMetrics(r).ok());
}

}  // namespace
}  // namespace quarry::run
