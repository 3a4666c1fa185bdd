#include "worker/workflow_worker.h"

#include <chrono>

#include "client/failure.h"
#include "client/history.h"
#include "client/payload.h"
#include "client/retry.h"
#include "quarry/log.h"
#include "temporal/api/enums/v1/query.pb.h"
#include "worker/task_deadlines.h"
#include "workflows/queries.h"
#include "workflows/replay.h"

namespace quarry::temporal {
namespace {

namespace enums = ::temporal::api::enums::v1;

void Warn(const std::string& message) { log::Write(log::Level::kWarn, message); }

}  // namespace

WorkflowWorker::WorkflowWorker(WorkflowService* service, WorkflowWorkerOptions options,
                               WorkflowFactory factory)
    : service_(service), options_(std::move(options)), factory_(factory) {
  if (options_.max_concurrent_tasks < 1) options_.max_concurrent_tasks = 1;
}

WorkflowWorker::~WorkflowWorker() {
  StopPolling();
  Join();
}

void WorkflowWorker::Start() {
  for (int i = 0; i < options_.max_concurrent_tasks; ++i) {
    pollers_.emplace_back([this] { PollLoop(); });
  }
}

void WorkflowWorker::StopPolling() { stopping_.store(true); }

void WorkflowWorker::Join() {
  for (auto& t : pollers_) {
    if (t.joinable()) t.join();
  }
  pollers_.clear();
}

void WorkflowWorker::PollLoop() {
  const auto& opts = service_->options();
  std::chrono::milliseconds backoff{0};
  while (!stopping_.load()) {
    if (backoff.count() > 0) {
      // Short sleeps so a shutdown is not held up by an unreachable server.
      for (auto slept = std::chrono::milliseconds(0); slept < backoff && !stopping_.load();
           slept += std::chrono::milliseconds(100)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    wfs::PollWorkflowTaskQueueRequest req;
    req.set_namespace_(opts.namespace_name);
    req.mutable_task_queue()->set_name(options_.task_queue);
    req.mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
    req.set_identity(opts.identity);
    auto resp = service_->PollWorkflowTaskQueue(req);
    const auto received = std::chrono::steady_clock::now();
    if (!resp.ok()) {
      if (resp.status().code() == StatusCode::kCancelled && service_->polling_stopped()) return;
      if (resp.status().code() != StatusCode::kDeadlineExceeded) {
        // An unreachable server is logged once by the service, not once per poll.
        if (resp.status().code() != StatusCode::kUnavailable) {
          Warn("workflow poll failed: " + resp.status().message());
        }
        backoff = std::min(std::max(backoff * 2, std::chrono::milliseconds(200)),
                           std::chrono::milliseconds(5'000));
      }
      continue;
    }
    backoff = std::chrono::milliseconds(0);
    WorkerMetrics* m = options_.metrics;
    if (m) m->Polled(WorkerType::kWorkflow, !resp->task_token().empty());
    if (resp->task_token().empty()) continue;
    if (m) {
      m->SlotTaken(WorkerType::kWorkflow);
      const auto& from = resp->scheduled_time();
      const auto& to = resp->started_time();
      m->ScheduleToStart(WorkerType::kWorkflow,
                         SecondsBetween(from.seconds(), from.nanos(), to.seconds(), to.nanos()));
    }
    const bool ok = Process(*resp, received);
    if (m) {
      m->WorkflowTaskExecuted(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count(), !ok);
      m->SlotFreed(WorkerType::kWorkflow);
    }
  }
}

bool WorkflowWorker::Process(const wfs::PollWorkflowTaskQueueResponse& task,
                             std::chrono::steady_clock::time_point received) {
  const auto& opts = service_->options();
  // Answers are retried through an outage while the server still accepts them for this task
  // (its workflow task timeout); past that the server times the task out and schedules it again.
  RetryUntil until;
  until.deadline = WorkflowTaskAcceptDeadline(task, received);
  auto send = [&](auto call) { return RetryTransient(until, [&] { return call().status(); }); };
  const std::string where = task.workflow_type().name() + " " +
                            task.workflow_execution().workflow_id() + "/" +
                            task.workflow_execution().run_id();
  auto fail_task = [&](enums::WorkflowTaskFailedCause cause, const std::string& message) {
    wfs::RespondWorkflowTaskFailedRequest req;
    req.set_task_token(task.task_token());
    req.set_namespace_(opts.namespace_name);
    req.set_identity(opts.identity);
    req.set_cause(cause);
    const char* type = cause == enums::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
                           ? "NonDeterministicError"
                           : "WorkflowTaskError";
    *req.mutable_failure() = ToFailure({type, message, false, std::nullopt});
    Status sent = send([&] { return service_->RespondWorkflowTaskFailed(req); });
    if (!sent.ok()) Warn("RespondWorkflowTaskFailed for " + where + ": " + sent.message());
    return false;
  };

  history_pb::History history = task.history();
  HistoryPageFetcher fetch_page = [this, &until](const wfs::GetWorkflowExecutionHistoryRequest& r) {
    return RetryTransient<wfs::GetWorkflowExecutionHistoryResponse>(
        until, [&] { return service_->GetWorkflowExecutionHistory(r); });
  };
  Status paged = AppendRemainingHistory(fetch_page, opts.namespace_name, task.workflow_execution(),
                                        task.next_page_token(), &history);
  if (!paged.ok()) {
    Warn("workflow task " + where + ": cannot read its history: " + paged.message());
    return fail_task(enums::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
                     "cannot read the history: " + paged.message());
  }

  std::vector<UpdateRequest> updates;
  for (const auto& m : task.messages()) {
    auto u = UpdateFromMessage(m);
    if (!u.ok()) {
      Warn("workflow task " + where + ": " + u.status().message());
    } else if (*u) {
      updates.push_back(std::move(**u));
    }
  }
  ReplayResult r = ReplayHistory(factory_, task.workflow_execution(), task.workflow_type().name(),
                                 history, updates);
  if (task.has_query()) {  // a query outside a workflow task: answered, nothing decided
    QueryAnswer answer = AnswerQuery(r, task.workflow_type().name(), task.query().query_type());
    wfs::RespondQueryTaskCompletedRequest req;
    req.set_task_token(task.task_token());
    req.set_namespace_(opts.namespace_name);
    if (answer.ok) {
      req.set_completed_type(enums::QUERY_RESULT_TYPE_ANSWERED);
      *req.mutable_query_result() = JsonPayloads(answer.result);
    } else {
      req.set_completed_type(enums::QUERY_RESULT_TYPE_FAILED);
      req.set_error_message(answer.error);
    }
    Status sent = send([&] { return service_->RespondQueryTaskCompleted(req); });
    if (!sent.ok()) Warn("RespondQueryTaskCompleted for " + where + ": " + sent.message());
    return true;
  }
  if (!r.unhandled_signals.empty() && r.workflow) {
    std::string known;
    for (const auto& n : r.workflow->SignalNames()) known += (known.empty() ? "" : ", ") + n;
    for (const auto& name : r.unhandled_signals) {
      Warn("workflow " + where + ": signal \"" + name + "\" has no handler in " +
           task.workflow_type().name() + " (" +
           (known.empty() ? "it takes no signals" : "its signals: " + known) + "); dropped");
    }
  }
  switch (r.kind) {
    case ReplayResult::Kind::kCommands: {
      wfs::RespondWorkflowTaskCompletedRequest req;
      req.set_task_token(task.task_token());
      req.set_namespace_(opts.namespace_name);
      req.set_identity(opts.identity);
      for (auto& c : r.commands) *req.add_commands() = std::move(c);
      for (auto& m : r.messages) *req.add_messages() = std::move(m);
      for (const auto& [id, query] : task.queries()) {
        QueryAnswer a = AnswerQuery(r, task.workflow_type().name(), query.query_type());
        auto& answer = (*req.mutable_query_results())[id];
        if (a.ok) {
          answer.set_result_type(enums::QUERY_RESULT_TYPE_ANSWERED);
          *answer.mutable_answer() = JsonPayloads(a.result);
        } else {
          answer.set_result_type(enums::QUERY_RESULT_TYPE_FAILED);
          answer.set_error_message(a.error);
        }
      }
      Status sent = send([&] { return service_->RespondWorkflowTaskCompleted(req); });
      if (!sent.ok()) Warn("RespondWorkflowTaskCompleted for " + where + ": " + sent.message());
      return true;
    }
    case ReplayResult::Kind::kNonDeterministic:
      Warn("workflow task " + where + ": non-deterministic: " + r.message);
      return fail_task(enums::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR, r.message);
    case ReplayResult::Kind::kUnknownWorkflow:
    case ReplayResult::Kind::kBadHistory:
      Warn("workflow task " + where + ": " + r.message);
      return fail_task(enums::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
                       r.message);
  }
  return false;
}

}  // namespace quarry::temporal
