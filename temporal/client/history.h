// History paging. A workflow task poll returns the first page of the history; the rest is fetched
// with GetWorkflowExecutionHistory and next_page_token until the token comes back empty.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "quarry/status.h"
#include "temporal/api/history/v1/message.pb.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace quarry::temporal {

namespace history_pb = ::temporal::api::history::v1;
namespace wfs = ::temporal::api::workflowservice::v1;

class WorkflowService;

// One GetWorkflowExecutionHistory call: the real service, or a fake in tests.
using HistoryPageFetcher = std::function<StatusOr<wfs::GetWorkflowExecutionHistoryResponse>(
    const wfs::GetWorkflowExecutionHistoryRequest&)>;
HistoryPageFetcher PageFetcherFor(WorkflowService* service);

// Appends the pages after `next_page_token` to `history`. Events must continue the ids already
// present (1, 2, 3, ...); a gap or repeat is DataLoss rather than a replay on bad input.
Status AppendRemainingHistory(const HistoryPageFetcher& fetch, const std::string& namespace_name,
                              const ::temporal::api::common::v1::WorkflowExecution& execution,
                              std::string next_page_token, history_pb::History* history);

// Every event of the execution.
StatusOr<history_pb::History> GetFullHistory(
    const HistoryPageFetcher& fetch, const std::string& namespace_name,
    const ::temporal::api::common::v1::WorkflowExecution& execution);

// Blocks (in successive long polls) until the execution closes and returns its close event.
// `keep_waiting` is asked between polls; returning false ends the wait with Cancelled. An
// unreachable server (kUnavailable) is polled again with backoff until it has been unreachable
// for `ride_out` without a break; then its error is returned.
StatusOr<history_pb::HistoryEvent> WaitForCloseEvent(
    const HistoryPageFetcher& fetch, const std::string& namespace_name,
    const ::temporal::api::common::v1::WorkflowExecution& execution,
    const std::function<bool()>& keep_waiting,
    std::chrono::milliseconds ride_out = std::chrono::milliseconds(0));

}  // namespace quarry::temporal
