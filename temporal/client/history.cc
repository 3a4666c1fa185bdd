#include "client/history.h"

#include <optional>
#include <random>
#include <thread>

#include "client/retry.h"
#include "client/workflow_service.h"

namespace quarry::temporal {

HistoryPageFetcher PageFetcherFor(WorkflowService* service) {
  return [service](const wfs::GetWorkflowExecutionHistoryRequest& req) {
    return service->GetWorkflowExecutionHistory(req);
  };
}

Status AppendRemainingHistory(const HistoryPageFetcher& fetch, const std::string& namespace_name,
                              const ::temporal::api::common::v1::WorkflowExecution& execution,
                              std::string next_page_token, history_pb::History* history) {
  int64_t last_id =
      history->events_size() ? history->events(history->events_size() - 1).event_id() : 0;
  while (!next_page_token.empty()) {
    wfs::GetWorkflowExecutionHistoryRequest req;
    req.set_namespace_(namespace_name);
    *req.mutable_execution() = execution;
    req.set_next_page_token(next_page_token);
    QUARRY_ASSIGN_OR_RETURN(auto resp, fetch(req));
    for (auto& ev : *resp.mutable_history()->mutable_events()) {
      if (ev.event_id() != last_id + 1) {
        return DataLossError("history of " + execution.workflow_id() +
                             " is not contiguous: event " + std::to_string(ev.event_id()) +
                             " follows " + std::to_string(last_id));
      }
      last_id = ev.event_id();
      *history->add_events() = std::move(ev);
    }
    if (resp.next_page_token() == next_page_token) {
      return DataLossError("history paging of " + execution.workflow_id() + " does not advance");
    }
    next_page_token = resp.next_page_token();
  }
  return Status::Ok();
}

StatusOr<history_pb::History> GetFullHistory(
    const HistoryPageFetcher& fetch, const std::string& namespace_name,
    const ::temporal::api::common::v1::WorkflowExecution& execution) {
  wfs::GetWorkflowExecutionHistoryRequest req;
  req.set_namespace_(namespace_name);
  *req.mutable_execution() = execution;
  QUARRY_ASSIGN_OR_RETURN(auto first, fetch(req));
  history_pb::History history = std::move(*first.mutable_history());
  QUARRY_RETURN_IF_ERROR(
      AppendRemainingHistory(fetch, namespace_name, execution, first.next_page_token(), &history));
  return history;
}

StatusOr<history_pb::HistoryEvent> WaitForCloseEvent(
    const HistoryPageFetcher& fetch, const std::string& namespace_name,
    const ::temporal::api::common::v1::WorkflowExecution& execution,
    const std::function<bool()>& keep_waiting, std::chrono::milliseconds ride_out) {
  std::string token;
  std::optional<std::chrono::steady_clock::time_point> unreachable_since;
  int failures = 0;
  std::mt19937_64 rng{std::random_device{}()};
  while (true) {
    if (keep_waiting && !keep_waiting()) return CancelledError("stopped waiting for the result");
    wfs::GetWorkflowExecutionHistoryRequest req;
    req.set_namespace_(namespace_name);
    *req.mutable_execution() = execution;
    req.set_wait_new_event(true);
    req.set_history_event_filter_type(
        ::temporal::api::enums::v1::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
    req.set_next_page_token(token);
    auto resp = fetch(req);
    if (!resp.ok()) {
      // The long poll outlived its deadline without the workflow closing: poll again.
      if (resp.status().code() == StatusCode::kDeadlineExceeded) continue;
      if (resp.status().code() != StatusCode::kUnavailable) return resp.status();
      const auto now = std::chrono::steady_clock::now();
      if (!unreachable_since) unreachable_since = now;
      if (now - *unreachable_since >= ride_out) return resp.status();
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(
          FullJitterDelay(failures++, Backoff{}, rng), *unreachable_since + ride_out - now));
      continue;
    }
    unreachable_since.reset();
    failures = 0;
    if (resp->history().events_size() > 0) {
      return resp->history().events(resp->history().events_size() - 1);
    }
    token = resp->next_page_token();
  }
}

}  // namespace quarry::temporal
