#include "cli/workflow_client.h"

#include <unistd.h>

#include <cstdio>
#include <random>

#include "cli/connection_flags.h"
#include "cli/wait_progress.h"
#include "client/history.h"
#include "client/payload.h"
#include "client/retry.h"
#include "quarry/redact.h"
#include "temporal/api/enums/v1/event_type.pb.h"
#include "workflows/close_event.h"

namespace quarry::temporal::cli {

namespace enums = ::temporal::api::enums::v1;
using nlohmann::json;

void PrintJson(const json& j) {
  std::string text = j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

RetryUntil ClientRetry() {
  RetryUntil until;
  until.deadline = std::chrono::steady_clock::now() + kClientRetryFor;
  return until;
}

std::string RandomSuffix() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%08x%08x", rd(), rd());
  return buf;
}

Status StartWorkflow(WorkflowService* svc, Target* t, const std::string& workflow_type,
                     const std::string& task_queue, const json& input, const std::string& id_prefix,
                     const Annotations& annotations) {
  if (t->workflow_id.empty()) t->workflow_id = id_prefix + "-" + RandomSuffix();
  wfs::StartWorkflowExecutionRequest req;
  req.set_namespace_(svc->options().namespace_name);
  req.set_workflow_id(t->workflow_id);
  req.mutable_workflow_type()->set_name(workflow_type);
  req.mutable_task_queue()->set_name(task_queue);
  req.mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  *req.mutable_input() = JsonPayloads(input);
  ApplyAnnotations(annotations, &req);
  req.set_identity(svc->options().identity);
  req.set_request_id(RandomSuffix() + RandomSuffix());
  // A short outage is ridden out; the request id makes a retry that follows a start whose answer
  // was lost return that start instead of "already running".
  auto resp = RetryTransient<wfs::StartWorkflowExecutionResponse>(
      ClientRetry(), [&] { return svc->StartWorkflowExecution(req); });
  if (!resp.ok()) {
    if (resp.status().code() == StatusCode::kAlreadyExists) {
      return Status(StatusCode::kAlreadyExists,
                    "workflow already running: " + PrintableValue(t->workflow_id));
    }
    return resp.status();
  }
  t->run_id = resp->run_id();
  return Status::Ok();
}

int WaitAndPrint(WorkflowService* svc, const Target& t) {
  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id(t.workflow_id);
  ex.set_run_id(t.run_id);
  StatusOr<::temporal::api::history::v1::HistoryEvent> close = InternalError("not waited");
  // A workflow that continues as new (QuarryCrawlWorkflow) closes each run with
  // ContinuedAsNew: its result is the close of the last run of the chain.
  while (true) {
    {
      WaitProgress progress(svc, t.workflow_id, ex.run_id(), ::isatty(STDERR_FILENO) == 1);
      close = WaitForCloseEvent(PageFetcherFor(svc), svc->options().namespace_name, ex, nullptr,
                                kClientRetryFor);
    }
    if (!close.ok() ||
        close->event_type() != enums::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW) {
      break;
    }
    ex.set_run_id(
        close->workflow_execution_continued_as_new_event_attributes().new_execution_run_id());
  }
  if (!close.ok()) {
    PrintError(close.status().message());
    return 2;
  }
  ClosedWorkflowView v = ViewCloseEvent(*close);
  v.output["workflow_id"] = t.workflow_id;
  PrintJson(v.output);
  return v.exit_code;
}

}  // namespace quarry::temporal::cli
