#include "cli/client_commands.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/connection_flags.h"
#include "client/history.h"
#include "client/payload.h"
#include "client/workflow_service.h"
#include "google/protobuf/util/time_util.h"
#include "quarry/run/run_spec.h"
#include "workflows/close_event.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal::cli {
namespace {

namespace fs = std::filesystem;
namespace enums = ::temporal::api::enums::v1;
using nlohmann::json;

void PrintJson(const json& j) {
  std::string text = j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

std::string RandomSuffix() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%08x%08x", rd(), rd());
  return buf;
}

// Paths are resolved where `start` runs: the worker must see the same file system paths.
std::string Absolute(const std::string& p) {
  if (p.empty()) return p;
  std::error_code ec;
  return fs::absolute(p, ec).lexically_normal().string();
}

struct Target {
  ConnectionOptions conn;
  std::string workflow_id;
  std::string run_id;
};

StatusOr<std::unique_ptr<WorkflowService>> Connect(const ConnectionOptions& conn) {
  return WorkflowService::Connect(conn);
}

::temporal::api::common::v1::WorkflowExecution Execution(const Target& t) {
  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id(t.workflow_id);
  ex.set_run_id(t.run_id);
  return ex;
}

// Prints the closed workflow and returns the exit code `quarry run` would give.
int WaitAndPrint(WorkflowService* svc, const Target& t) {
  auto close =
      WaitForCloseEvent(PageFetcherFor(svc), svc->options().namespace_name, Execution(t), nullptr);
  if (!close.ok()) {
    PrintError(close.status().message());
    return 2;
  }
  ClosedWorkflowView v = ViewCloseEvent(*close);
  v.output["workflow_id"] = t.workflow_id;
  PrintJson(v.output);
  return v.exit_code;
}

// --- start -------------------------------------------------------------------------------------

struct StartFlags {
  Target target;
  std::string task_queue = kTaskQueueDefault;
  std::string script, job_id, job, job_json, source, category, policy, flush_mode;
  int64_t buffer_events = 0, buffer_bytes = 0, flush_count = 0;
  std::string flush_interval, storage_backend, storage_path, storage_dataset, resolve_from, timeout;
  int64_t max_attempts = 3;
  std::string initial_interval, maximum_interval;
  double backoff_coefficient = 2.0;
  std::string start_to_close_timeout, heartbeat_timeout, schedule_to_start_timeout;
  std::string notify_url;
  std::vector<std::string> notify_headers;
  bool wait = false;
  CLI::App* cmd = nullptr;
  bool Set(const char* name) const { return cmd->count(name) > 0; }
};

StatusOr<json> BuildWorkflowInput(const StartFlags& f) {
  if (f.script.empty()) return InvalidArgumentError("--script is required");
  if (f.source.empty()) return InvalidArgumentError("--source is required");
  json in = json::object();
  in["script"] = Absolute(f.script);
  in["source"] = f.source;
  if (f.Set("--category")) in["category"] = f.category;
  if (f.Set("--job-id")) in["job_id"] = f.job_id;
  if (f.Set("--job") || f.Set("--job-json")) {
    std::optional<std::string> job, file;
    if (f.Set("--job")) job = f.job;
    if (f.Set("--job-json")) file = f.job_json;
    QUARRY_ASSIGN_OR_RETURN(std::string text, run::LoadJobPayload(job, file));
    in["job"] = json::parse(text);
  }
  if (f.Set("--policy")) in["policy"] = f.policy;
  if (f.Set("--flush-mode")) in["flush_mode"] = f.flush_mode;
  if (f.Set("--buffer-events")) in["buffer_events"] = f.buffer_events;
  if (f.Set("--buffer-bytes")) in["buffer_bytes"] = f.buffer_bytes;
  if (f.Set("--flush-count")) in["flush_count"] = f.flush_count;
  if (f.Set("--flush-interval")) in["flush_interval"] = f.flush_interval;
  if (f.Set("--timeout")) in["timeout"] = f.timeout;
  if (f.Set("--resolve-from")) in["resolve_from"] = Absolute(f.resolve_from);
  json storage = json::object();
  if (f.Set("--storage-backend")) storage["backend"] = f.storage_backend;
  if (f.Set("--storage-path")) storage["path"] = Absolute(f.storage_path);
  if (f.Set("--storage-dataset")) storage["dataset"] = f.storage_dataset;
  if (!storage.empty()) in["storage"] = storage;
  json retry = json::object();
  if (f.Set("--max-attempts")) retry["max_attempts"] = f.max_attempts;
  if (f.Set("--initial-interval")) retry["initial_interval"] = f.initial_interval;
  if (f.Set("--backoff-coefficient")) retry["backoff_coefficient"] = f.backoff_coefficient;
  if (f.Set("--maximum-interval")) retry["maximum_interval"] = f.maximum_interval;
  if (!retry.empty()) in["retry"] = retry;
  json activity = json::object();
  if (f.Set("--start-to-close-timeout"))
    activity["start_to_close_timeout"] = f.start_to_close_timeout;
  if (f.Set("--heartbeat-timeout")) activity["heartbeat_timeout"] = f.heartbeat_timeout;
  if (f.Set("--schedule-to-start-timeout")) {
    activity["schedule_to_start_timeout"] = f.schedule_to_start_timeout;
  }
  if (!activity.empty()) in["activity"] = activity;
  if (f.Set("--notify-url")) {
    json headers = json::object();
    for (const auto& h : f.notify_headers) {
      auto colon = h.find(':');
      if (colon == std::string::npos) {
        return InvalidArgumentError("--notify-header \"" + h + "\" must be \"Name: value\"");
      }
      std::string value = h.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      headers[h.substr(0, colon)] = value;
    }
    in["notify"] = {{"url", f.notify_url}, {"headers", headers}};
  }
  // The same checks the workflow makes, so a typo fails here and not in history.
  QUARRY_RETURN_IF_ERROR(ParseExtractionWorkflowParams(in).status());
  return in;
}

int Start(StartFlags& f) {
  auto input = BuildWorkflowInput(f);
  if (!input.ok()) {
    PrintError(input.status().message());
    return 2;
  }
  auto svc = Connect(f.target.conn);
  if (!svc.ok()) {
    PrintError(svc.status().message());
    return 2;
  }
  if (f.target.workflow_id.empty()) f.target.workflow_id = "quarry-" + RandomSuffix();
  wfs::StartWorkflowExecutionRequest req;
  req.set_namespace_((*svc)->options().namespace_name);
  req.set_workflow_id(f.target.workflow_id);
  req.mutable_workflow_type()->set_name(kExtractionWorkflow);
  req.mutable_task_queue()->set_name(f.task_queue);
  req.mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  *req.mutable_input() = JsonPayloads(*input);
  req.set_identity((*svc)->options().identity);
  req.set_request_id(RandomSuffix() + RandomSuffix());
  auto resp = (*svc)->StartWorkflowExecution(req);
  if (!resp.ok()) {
    if (resp.status().code() == StatusCode::kAlreadyExists) {
      PrintError("workflow already running: " + f.target.workflow_id);
    } else {
      PrintError(resp.status().message());
    }
    return 2;
  }
  f.target.run_id = resp->run_id();
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
  f.cmd = cmd;
  AddConnectionFlags(cmd, &f.target.conn);
  cmd->add_option(
      "--workflow-id", f.target.workflow_id,
      "Workflow id (default: quarry-<random>); also the job id unless --job-id is given");
  cmd->add_option("--task-queue", f.task_queue, "Task queue of the workers")->capture_default_str();
  cmd->add_flag("--wait", f.wait,
                "Wait for the result, print it, exit with the code `quarry run` would give");
  cmd->add_option("--script", f.script, "Script path (made absolute here; the worker must see it)");
  cmd->add_option("--job-id", f.job_id, "Job id (default: the workflow id)");
  cmd->add_option("--job", f.job, "Job payload as a JSON object");
  cmd->add_option("--job-json", f.job_json, "File holding the job payload (read here)");
  cmd->add_option("--source", f.source, "Source partition value (required)");
  cmd->add_option("--category", f.category, "Category partition value");
  cmd->add_option("--policy", f.policy, "Ingestion policy: strict, buffered, streaming");
  cmd->add_option("--flush-mode", f.flush_mode, "buffered: at_least_once, chunks_first, two_phase");
  cmd->add_option("--buffer-events", f.buffer_events, "buffered: event limit");
  cmd->add_option("--buffer-bytes", f.buffer_bytes, "buffered: byte limit");
  cmd->add_option("--flush-count", f.flush_count, "streaming: flush every N events");
  cmd->add_option("--flush-interval", f.flush_interval, "streaming: flush interval");
  cmd->add_option("--storage-backend", f.storage_backend, "Storage backend: fs");
  cmd->add_option("--storage-path", f.storage_path,
                  "fs: an existing directory (made absolute here)");
  cmd->add_option("--storage-dataset", f.storage_dataset, "Dataset id");
  cmd->add_option("--resolve-from", f.resolve_from, "Fallback directory for the script's imports");
  cmd->add_option("--timeout", f.timeout, "Whole-run time limit of each attempt (e.g. 5m)");
  cmd->add_option("--max-attempts", f.max_attempts,
                  "Attempts, each with its own run id (default 3)");
  cmd->add_option("--initial-interval", f.initial_interval,
                  "Backoff before attempt 2 (default 1s)");
  cmd->add_option("--backoff-coefficient", f.backoff_coefficient,
                  "Backoff growth per attempt (default 2)");
  cmd->add_option("--maximum-interval", f.maximum_interval, "Backoff cap (default 5m)");
  cmd->add_option("--start-to-close-timeout", f.start_to_close_timeout, "Per attempt (default 4h)");
  cmd->add_option("--heartbeat-timeout", f.heartbeat_timeout, "Per attempt (default 60s)");
  cmd->add_option("--schedule-to-start-timeout", f.schedule_to_start_timeout,
                  "Per attempt (default 5m)");
  cmd->add_option("--notify-url", f.notify_url,
                  "POST the final outcome here (NotifyWebhook activity)");
  cmd->add_option("--notify-header", f.notify_headers,
                  "\"Name: value\" header for --notify-url (repeatable)");
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
              {"history_length", info.history_length()}};
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
  auto resp = (*svc)->RequestCancelWorkflowExecution(req);
  if (!resp.ok()) {
    PrintError(resp.status().message());
    return 2;
  }
  std::fprintf(stderr, "cancellation requested for workflow %s\n", t.workflow_id.c_str());
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
