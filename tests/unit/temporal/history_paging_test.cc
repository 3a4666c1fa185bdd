#include <gtest/gtest.h>

#include <map>

#include "client/history.h"
#include "temporal/api/enums/v1/event_type.pb.h"

namespace quarry::temporal {
namespace {

namespace common_pb = ::temporal::api::common::v1;

history_pb::History Events(int64_t first, int64_t last) {
  history_pb::History h;
  for (int64_t i = first; i <= last; ++i) h.add_events()->set_event_id(i);
  return h;
}

// Pages keyed by the token that asks for them.
struct FakeServer {
  std::map<std::string, std::pair<history_pb::History, std::string>> pages;
  std::vector<wfs::GetWorkflowExecutionHistoryRequest> requests;

  HistoryPageFetcher Fetcher() {
    return [this](const wfs::GetWorkflowExecutionHistoryRequest& req)
               -> StatusOr<wfs::GetWorkflowExecutionHistoryResponse> {
      requests.push_back(req);
      auto it = pages.find(req.next_page_token());
      if (it == pages.end()) return NotFoundError("no such page");
      wfs::GetWorkflowExecutionHistoryResponse resp;
      *resp.mutable_history() = it->second.first;
      resp.set_next_page_token(it->second.second);
      return resp;
    };
  }
};

common_pb::WorkflowExecution Ex() {
  common_pb::WorkflowExecution ex;
  ex.set_workflow_id("wf");
  ex.set_run_id("run");
  return ex;
}

TEST(TemporalHistoryPagingTest, AppendsEveryPageInOrder) {
  FakeServer server;
  server.pages["t1"] = {Events(4, 6), "t2"};
  server.pages["t2"] = {Events(7, 7), ""};
  history_pb::History h = Events(1, 3);
  ASSERT_TRUE(AppendRemainingHistory(server.Fetcher(), "ns", Ex(), "t1", &h).ok());
  ASSERT_EQ(h.events_size(), 7);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(h.events(i).event_id(), i + 1);
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[0].namespace_(), "ns");
  EXPECT_EQ(server.requests[0].execution().workflow_id(), "wf");
  EXPECT_EQ(server.requests[0].execution().run_id(), "run");
}

TEST(TemporalHistoryPagingTest, NoTokenMeansNoCall) {
  FakeServer server;
  history_pb::History h = Events(1, 3);
  ASSERT_TRUE(AppendRemainingHistory(server.Fetcher(), "ns", Ex(), "", &h).ok());
  EXPECT_TRUE(server.requests.empty());
}

TEST(TemporalHistoryPagingTest, GapIsDataLoss) {
  FakeServer server;
  server.pages["t1"] = {Events(5, 6), ""};
  history_pb::History h = Events(1, 3);
  Status s = AppendRemainingHistory(server.Fetcher(), "ns", Ex(), "t1", &h);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
}

TEST(TemporalHistoryPagingTest, TokenThatDoesNotAdvanceIsDataLoss) {
  FakeServer server;
  server.pages["t1"] = {history_pb::History(), "t1"};
  history_pb::History h = Events(1, 1);
  EXPECT_EQ(AppendRemainingHistory(server.Fetcher(), "ns", Ex(), "t1", &h).code(),
            StatusCode::kDataLoss);
}

TEST(TemporalHistoryPagingTest, ErrorsPassThrough) {
  FakeServer server;
  history_pb::History h = Events(1, 1);
  EXPECT_EQ(AppendRemainingHistory(server.Fetcher(), "ns", Ex(), "missing", &h).code(),
            StatusCode::kNotFound);
}

TEST(TemporalHistoryPagingTest, FullHistoryFromTheFirstPage) {
  FakeServer server;
  server.pages[""] = {Events(1, 2), "p2"};
  server.pages["p2"] = {Events(3, 4), ""};
  auto h = GetFullHistory(server.Fetcher(), "ns", Ex());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->events_size(), 4);
}

TEST(TemporalHistoryPagingTest, WaitForCloseEventPollsAgainAfterDeadline) {
  int calls = 0;
  HistoryPageFetcher fetch = [&](const wfs::GetWorkflowExecutionHistoryRequest& req)
      -> StatusOr<wfs::GetWorkflowExecutionHistoryResponse> {
    EXPECT_TRUE(req.wait_new_event());
    EXPECT_EQ(req.history_event_filter_type(),
              ::temporal::api::enums::v1::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
    if (++calls == 1) return DeadlineExceededError("long poll ended");
    wfs::GetWorkflowExecutionHistoryResponse resp;
    if (calls == 2) {
      resp.set_next_page_token("again");
      return resp;
    }
    auto* e = resp.mutable_history()->add_events();
    e->set_event_id(9);
    e->set_event_type(::temporal::api::enums::v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    return resp;
  };
  auto e = WaitForCloseEvent(fetch, "ns", Ex(), nullptr);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->event_id(), 9);
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace quarry::temporal
