#include "cli/client_commands.h"

#include <csignal>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/connection_flags.h"
#include "cli/run_flags.h"
#include "cli/workflow_client.h"
#include "client/history.h"
#include "client/payload.h"
#include "client/retry.h"
#include "client/workflow_service.h"
#include "google/protobuf/util/time_util.h"
#include "quarry/redact.h"
#include "workflows/close_event.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal::cli {
namespace {

namespace enums = ::temporal::api::enums::v1;
using nlohmann::json;

StatusOr<std::unique_ptr<WorkflowService>> Connect(const ConnectionOptions& conn) {
  return WorkflowService::Connect(conn);
}

::temporal::api::common::v1::WorkflowExecution Execution(const Target& t) {
  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id(t.workflow_id);
  ex.set_run_id(t.run_id);
  return ex;
}

// --- start -------------------------------------------------------------------------------------

struct StartFlags {
  Target target;
  std::string task_queue = kTaskQueueDefault;
  RunFlags run;
  AnnotationFlags annotation_flags;
  bool wait = false;
};

int Start(StartFlags& f) {
  auto input = BuildWorkflowInput(f.run);
  if (!input.ok()) {
    PrintError(input.status().message());
    return 2;
  }
  auto annotations = ParseAnnotations(f.annotation_flags);
  if (!annotations.ok()) {
    PrintError(annotations.status().message());
    return 2;
  }
  auto svc = Connect(f.target.conn);
  if (!svc.ok()) {
    PrintError(svc.status().message());
    return 2;
  }
  Status started = StartWorkflow(svc->get(), &f.target, kExtractionWorkflow, f.task_queue, *input,
                                 "quarry", *annotations);
  if (!started.ok()) {
    PrintError(started.message());
    return 2;
  }
  if (!f.wait) {
    PrintJson({{"workflow_id", f.target.workflow_id}, {"run_id", f.target.run_id}});
    return 0;
  }
  std::fprintf(stderr, "started workflow %s (run %s); waiting for its result\n",
               f.target.workflow_id.c_str(), f.target.run_id.c_str());
  return WaitAndPrint(svc->get(), f.target);
}

void AddStart(CLI::App* app, int* exit_code) {
  auto flags = std::make_shared<StartFlags>();
  StartFlags& f = *flags;
  CLI::App* cmd = app->add_subcommand(
      "start", "Start a QuarryExtractionWorkflow (run flags mirror `quarry run`)");
  AddConnectionFlags(cmd, &f.target.conn);
  cmd->add_option(
      "--workflow-id", f.target.workflow_id,
      "Workflow id (default: quarry-<random>); also the job id unless --job-id is given");
  cmd->add_option("--task-queue", f.task_queue, "Task queue of the workers")->capture_default_str();
  cmd->add_flag("--wait", f.wait,
                "Wait for the result, print it, exit with the code `quarry run` would give");
  AddRunFlags(cmd, &f.run);
  AddAnnotationFlags(cmd, &f.annotation_flags);
  cmd->callback([flags, exit_code]() { *exit_code = Start(*flags); });
}

// --- result / describe / cancel ----------------------------------------------------------------

void AddTargetFlags(CLI::App* cmd, Target* t) {
  AddConnectionFlags(cmd, &t->conn);
  cmd->add_option("--workflow-id,-w", t->workflow_id, "Workflow id")->required();
  cmd->add_option("--run-id,-r", t->run_id, "Run id (default: the latest run)");
}

int Result(Target& t) {
  auto svc = Connect(t.conn);
  if (!svc.ok()) {
    PrintError(svc.status().message());
    return 2;
  }
  return WaitAndPrint(svc->get(), t);
}

std::string Time(const google::protobuf::Timestamp& ts) {
  return google::protobuf::util::TimeUtil::ToString(ts);
}

std::string EnumSuffix(std::string name, const char* prefix) {
  if (name.rfind(prefix, 0) == 0) name.erase(0, std::string(prefix).size());
  return name;
}

json PayloadsJson(const common_pb::Payloads& ps) {
  auto v = DecodeSingleArgument(ps);
  if (!v.ok()) return json{{"undecodable", v.status().message()}};
  return v->value_or(json());
}

int Describe(Target& t) {
  auto svc = Connect(t.conn);
  if (!svc.ok()) {
    PrintError(svc.status().message());
    return 2;
  }
  wfs::DescribeWorkflowExecutionRequest req;
  req.set_namespace_((*svc)->options().namespace_name);
  *req.mutable_execution() = Execution(t);
  auto resp = (*svc)->DescribeWorkflowExecution(req);
  if (!resp.ok()) {
    PrintError(resp.status().message());
    return 2;
  }
  const auto& info = resp->workflow_execution_info();
  json out = {{"workflow_id", info.execution().workflow_id()},
              {"run_id", info.execution().run_id()},
              {"type", info.type().name()},
              {"status", EnumSuffix(enums::WorkflowExecutionStatus_Name(info.status()),
                                    "WORKFLOW_EXECUTION_STATUS_")},
              {"task_queue", info.task_queue()},
              {"start_time", Time(info.start_time())},
              {"history_length", info.history_length()},
              {"history_size_bytes", info.history_size_bytes()}};
  if (info.has_close_time()) out["close_time"] = Time(info.close_time());
  json pending = json::array();
  for (const auto& a : resp->pending_activities()) {
    json pa = {{"activity_id", a.activity_id()},
               {"activity_type", a.activity_type().name()},
               {"state",
                EnumSuffix(enums::PendingActivityState_Name(a.state()), "PENDING_ACTIVITY_STATE_")},
               {"attempt", a.attempt()}};
    if (a.has_last_heartbeat_time()) pa["last_heartbeat_time"] = Time(a.last_heartbeat_time());
    if (a.heartbeat_details().payloads_size() > 0)
      pa["heartbeat_details"] = PayloadsJson(a.heartbeat_details());
    if (!a.last_worker_identity().empty()) pa["worker_identity"] = a.last_worker_identity();
    if (a.has_last_failure()) pa["last_failure"] = a.last_failure().message();
    pending.push_back(std::move(pa));
  }
  out["pending_activities"] = std::move(pending);
  // The workflow's own view (docs/temporal.md, "Signals and queries"); a worker must answer it,
  // so with none running describe says why instead of failing.
  wfs::QueryWorkflowRequest q;
  q.set_namespace_((*svc)->options().namespace_name);
  *q.mutable_execution() = info.execution();
  q.mutable_query()->set_query_type("progress");
  auto answer = (*svc)->QueryWorkflow(q);
  if (!answer.ok()) {
    out["progress_error"] = answer.status().message();
  } else if (answer->has_query_rejected()) {
    out["progress_error"] = "query rejected";
  } else {
    auto v = DecodeSingleArgument(answer->query_result());
    if (v.ok() && *v) {
      out["progress"] = **v;
    } else {
      out["progress_error"] = v.ok() ? "no answer" : v.status().message();
    }
  }
  PrintJson(out);
  return 0;
}

int Cancel(Target& t, const std::string& reason) {
  auto svc = Connect(t.conn);
  if (!svc.ok()) {
    PrintError(svc.status().message());
    return 2;
  }
  wfs::RequestCancelWorkflowExecutionRequest req;
  req.set_namespace_((*svc)->options().namespace_name);
  *req.mutable_workflow_execution() = Execution(t);
  req.set_identity((*svc)->options().identity);
  req.set_request_id(RandomSuffix() + RandomSuffix());
  req.set_reason(reason);
  // The request id makes a retried request the same request.
  auto resp = RetryTransient<wfs::RequestCancelWorkflowExecutionResponse>(
      ClientRetry(), [&] { return (*svc)->RequestCancelWorkflowExecution(req); });
  if (!resp.ok()) {
    PrintError(resp.status().message());
    return 2;
  }
  std::fprintf(stderr, "cancellation requested for workflow %s\n",
               PrintableValue(t.workflow_id).c_str());
  return 0;
}

}  // namespace

void AddClientCommands(CLI::App* app, int* exit_code) {
  AddStart(app, exit_code);

  auto result = std::make_shared<Target>();
  CLI::App* r =
      app->add_subcommand("result", "Wait for a workflow to close and print its result as JSON");
  AddTargetFlags(r, result.get());
  r->callback([result, exit_code]() { *exit_code = Result(*result); });

  auto describe = std::make_shared<Target>();
  CLI::App* d =
      app->add_subcommand("describe", "Show a workflow's status and pending activities as JSON");
  AddTargetFlags(d, describe.get());
  d->callback([describe, exit_code]() { *exit_code = Describe(*describe); });

  auto cancel = std::make_shared<Target>();
  auto reason = std::make_shared<std::string>("cancelled with quarry-temporal cancel");
  CLI::App* c = app->add_subcommand(
      "cancel", "Request cancellation of a workflow (its running attempt is cancelled)");
  AddTargetFlags(c, cancel.get());
  c->add_option("--reason", *reason, "Reason recorded in history");
  c->callback([cancel, reason, exit_code]() { *exit_code = Cancel(*cancel, *reason); });
}

}  // namespace quarry::temporal::cli
