// Riding out a server outage: the retry helper (full-jitter backoff, transient codes only, the
// deadline), the deadlines a task's report is retried to, and the client's wait for a result.
#include <gtest/gtest.h>

#include <thread>

#include "client/history.h"
#include "client/retry.h"
#include "worker/task_deadlines.h"

namespace quarry::temporal {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

RetryUntil For(milliseconds d, std::vector<milliseconds>* slept = nullptr) {
  RetryUntil u;
  u.deadline = Clock::now() + d;
  u.backoff = {milliseconds(1), milliseconds(8)};
  if (slept) {
    u.sleep = [slept](milliseconds ms) { slept->push_back(ms); };
  }
  return u;
}

TEST(TemporalRetryTest, TransientErrorsAreRetriedUntilTheCallSucceeds) {
  int calls = 0;
  std::vector<milliseconds> slept;
  Status s = RetryTransient(
      For(seconds(30), &slept),
      [&] {
        ++calls;
        if (calls == 1) return UnavailableError("server unreachable at x: connection refused");
        if (calls == 2) return DeadlineExceededError("no answer before the deadline");
        return Status::Ok();
      },
      nullptr);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(slept.size(), 2u);
}

TEST(TemporalRetryTest, OtherErrorsAreFinalAtOnce) {
  for (Status final : {NotFoundError("activity gone"), InvalidArgumentError("bad token"),
                       FailedPreconditionError("not authenticated")}) {
    int calls = 0;
    Status s = RetryTransient(For(seconds(30)), [&] {
      ++calls;
      return final;
    });
    EXPECT_EQ(s.code(), final.code());
    EXPECT_EQ(calls, 1);
  }
}

TEST(TemporalRetryTest, RetriesStopAtTheDeadlineAndReturnTheLastError) {
  int calls = 0;
  const auto start = Clock::now();
  Status s = RetryTransient(For(milliseconds(300)), [&] {
    ++calls;
    return UnavailableError("server unreachable at x");
  });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_GT(calls, 2);
  // Generous: the helper must not wait much past its deadline (one call after it at most).
  EXPECT_LT(Clock::now() - start, seconds(5));
}

TEST(TemporalRetryTest, StopEndsTheRetries) {
  int calls = 0;
  RetryUntil u = For(seconds(30));
  u.stop = [&] { return calls >= 2; };
  Status s = RetryTransient(u, [&] {
    ++calls;
    return UnavailableError("down");
  });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(calls, 2);
}

TEST(TemporalRetryTest, ResultsOfTheSuccessfulCallAreReturned) {
  int calls = 0;
  StatusOr<int> v = RetryTransient<int>(For(seconds(30)), [&]() -> StatusOr<int> {
    if (++calls < 3) return UnavailableError("down");
    return 42;
  });
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42);
}

TEST(TemporalRetryTest, FullJitterDelaysStayWithinTheGrowingCap) {
  std::mt19937_64 rng(7);
  Backoff b{milliseconds(200), milliseconds(5'000)};
  for (int attempt = 0; attempt < 40; ++attempt) {
    const int64_t cap = std::min<int64_t>(5'000, 200LL << std::min(attempt, 20));
    int64_t most = 0;
    for (int i = 0; i < 200; ++i) {
      const auto d = FullJitterDelay(attempt, b, rng).count();
      ASSERT_GE(d, 0);
      ASSERT_LE(d, cap) << attempt;
      most = std::max(most, d);
    }
    EXPECT_GT(most, cap / 2) << "jitter spans the whole range, attempt " << attempt;
  }
}

google::protobuf::Duration Secs(int64_t s) {
  google::protobuf::Duration d;
  d.set_seconds(s);
  return d;
}

TEST(TemporalRetryTest, AnActivityReportIsAcceptedUntilItsEarliestTimeout) {
  const auto received = Clock::now();
  wfs::PollActivityTaskQueueResponse task;
  *task.mutable_start_to_close_timeout() = Secs(3600);
  EXPECT_EQ(ActivityAcceptDeadline(task, received, received), received + seconds(3600));

  // The heartbeat timeout counts from the last heartbeat the server acknowledged.
  *task.mutable_heartbeat_timeout() = Secs(60);
  EXPECT_EQ(ActivityAcceptDeadline(task, received, received + seconds(100)),
            received + seconds(160));
  EXPECT_EQ(ActivityAcceptDeadline(task, received, received + seconds(3590)),
            received + seconds(3600));

  // Schedule-to-close: what is left of it when this attempt started.
  *task.mutable_schedule_to_close_timeout() = Secs(100);
  task.mutable_scheduled_time()->set_seconds(1'000);
  task.mutable_started_time()->set_seconds(1'070);
  EXPECT_EQ(ActivityAcceptDeadline(task, received, received), received + seconds(30));

  EXPECT_EQ(ActivityAcceptDeadline(wfs::PollActivityTaskQueueResponse(), received, received),
            received + std::chrono::minutes(10));
}

TEST(TemporalRetryTest, AWorkflowTaskAnswerIsAcceptedForTheWorkflowTaskTimeout) {
  const auto received = Clock::now();
  wfs::PollWorkflowTaskQueueResponse task;
  EXPECT_EQ(WorkflowTaskAcceptDeadline(task, received), received + seconds(10));
  auto* started =
      task.mutable_history()->add_events()->mutable_workflow_execution_started_event_attributes();
  *started->mutable_workflow_task_timeout() = Secs(25);
  EXPECT_EQ(WorkflowTaskAcceptDeadline(task, received), received + seconds(25));
}

TEST(TemporalRetryTest, WaitingForAResultRidesOutAnUnreachableServer) {
  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id("wf");
  int calls = 0;
  HistoryPageFetcher fetch = [&](const wfs::GetWorkflowExecutionHistoryRequest&)
      -> StatusOr<wfs::GetWorkflowExecutionHistoryResponse> {
    if (++calls <= 3) return UnavailableError("server unreachable at x: connection refused");
    wfs::GetWorkflowExecutionHistoryResponse resp;
    resp.mutable_history()->add_events()->set_event_id(9);
    return resp;
  };
  auto close = WaitForCloseEvent(fetch, "default", ex, nullptr, seconds(30));
  ASSERT_TRUE(close.ok()) << close.status().message();
  EXPECT_EQ(close->event_id(), 9);
  EXPECT_EQ(calls, 4);

  // An outage longer than the budget ends the wait with the server's error.
  calls = -1'000'000;
  auto gave_up = WaitForCloseEvent(fetch, "default", ex, nullptr, milliseconds(300));
  ASSERT_FALSE(gave_up.ok());
  EXPECT_EQ(gave_up.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace quarry::temporal
