// The calls quarry-temporal makes on temporal.api.workflowservice.v1.WorkflowService. This is the
// only place that sees the gRPC stub (workflow_service.cc includes service.grpc.pb.h, which costs
// seconds per file to compile); everything else uses these request/response messages.
//
// Errors come back as one-line Status messages ("server unreachable at ...", "namespace ... not
// found", "workflow already running: ...") with a coarse code; the gRPC code name is kept in the
// text for the rest.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>

#include "client/connection_options.h"
#include "quarry/status.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace grpc {
class ClientContext;
}

namespace quarry::temporal {

namespace wfs = ::temporal::api::workflowservice::v1;

class WorkflowService {
 public:
  // Creates the channel lazily: no call is made here, so an unreachable server is reported by
  // the first call.
  static StatusOr<std::unique_ptr<WorkflowService>> Connect(const ConnectionOptions& options);
  ~WorkflowService();

  const ConnectionOptions& options() const { return options_; }

  // Long polls. An empty task_token in the response means "no task this time".
  StatusOr<wfs::PollWorkflowTaskQueueResponse> PollWorkflowTaskQueue(
      const wfs::PollWorkflowTaskQueueRequest& req);
  StatusOr<wfs::PollActivityTaskQueueResponse> PollActivityTaskQueue(
      const wfs::PollActivityTaskQueueRequest& req);

  StatusOr<wfs::RespondWorkflowTaskCompletedResponse> RespondWorkflowTaskCompleted(
      const wfs::RespondWorkflowTaskCompletedRequest& req);
  StatusOr<wfs::RespondWorkflowTaskFailedResponse> RespondWorkflowTaskFailed(
      const wfs::RespondWorkflowTaskFailedRequest& req);
  StatusOr<wfs::RespondQueryTaskCompletedResponse> RespondQueryTaskCompleted(
      const wfs::RespondQueryTaskCompletedRequest& req);
  StatusOr<wfs::RecordActivityTaskHeartbeatResponse> RecordActivityTaskHeartbeat(
      const wfs::RecordActivityTaskHeartbeatRequest& req);
  StatusOr<wfs::RespondActivityTaskCompletedResponse> RespondActivityTaskCompleted(
      const wfs::RespondActivityTaskCompletedRequest& req);
  StatusOr<wfs::RespondActivityTaskFailedResponse> RespondActivityTaskFailed(
      const wfs::RespondActivityTaskFailedRequest& req);
  StatusOr<wfs::RespondActivityTaskCanceledResponse> RespondActivityTaskCanceled(
      const wfs::RespondActivityTaskCanceledRequest& req);
  // With wait_new_event set this is a long poll too.
  StatusOr<wfs::GetWorkflowExecutionHistoryResponse> GetWorkflowExecutionHistory(
      const wfs::GetWorkflowExecutionHistoryRequest& req);
  StatusOr<wfs::StartWorkflowExecutionResponse> StartWorkflowExecution(
      const wfs::StartWorkflowExecutionRequest& req);
  StatusOr<wfs::DescribeWorkflowExecutionResponse> DescribeWorkflowExecution(
      const wfs::DescribeWorkflowExecutionRequest& req);
  // Answered by a worker of the workflow's task queue; bounded by kQueryDeadline.
  StatusOr<wfs::QueryWorkflowResponse> QueryWorkflow(const wfs::QueryWorkflowRequest& req);
  static constexpr std::chrono::milliseconds kQueryDeadline{5000};
  StatusOr<wfs::RequestCancelWorkflowExecutionResponse> RequestCancelWorkflowExecution(
      const wfs::RequestCancelWorkflowExecutionRequest& req);
  StatusOr<wfs::GetSystemInfoResponse> GetSystemInfo();

  // Schedules. ListSchedules reads the visibility store, which lags a create or delete by a
  // moment; DescribeSchedule reads the schedule itself.
  StatusOr<wfs::CreateScheduleResponse> CreateSchedule(const wfs::CreateScheduleRequest& req);
  StatusOr<wfs::DescribeScheduleResponse> DescribeSchedule(const wfs::DescribeScheduleRequest& req);
  StatusOr<wfs::ListSchedulesResponse> ListSchedules(const wfs::ListSchedulesRequest& req);
  StatusOr<wfs::DeleteScheduleResponse> DeleteSchedule(const wfs::DeleteScheduleRequest& req);

  // Ends every long poll in flight (they return Cancelled) and makes later polls return
  // Cancelled at once: the first step of a graceful worker shutdown. Other calls still work, so
  // running tasks can report their results.
  void StopPolling();
  // True once StopPolling() was called: a Cancelled poll then means "stop", not a connection
  // the server closed.
  bool polling_stopped() const { return polling_stopped_.load(); }

 private:
  class Stub;
  explicit WorkflowService(const ConnectionOptions& options);

  // kPoll ends on StopPolling(); kWait does not; kQuery is a unary call with a short deadline.
  enum class CallKind { kUnary, kPoll, kWait, kQuery };
  template <typename Resp, typename Req, typename Call>
  StatusOr<Resp> Invoke(const char* method, const Req& req, CallKind kind, Call call);

  // With options_.log_reachability: one line when calls start failing with UNAVAILABLE, one
  // when a call succeeds again (not one per poll or retry).
  void NoteUnreachable(const Status& s);
  void NoteReachable();

  ConnectionOptions options_;
  std::atomic<bool> unreachable_{false};
  std::unique_ptr<Stub> stub_;
  std::mutex polls_mu_;
  std::set<grpc::ClientContext*> polls_;
  std::atomic<bool> polling_stopped_{false};
};

}  // namespace quarry::temporal
