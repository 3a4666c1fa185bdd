#include "cli/schedule_commands.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/connection_flags.h"
#include "cli/run_flags.h"
#include "cli/schedule_spec.h"
#include "cli/workflow_client.h"
#include "client/workflow_service.h"
#include "quarry/redact.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal::cli {
namespace {

using nlohmann::json;

void Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

std::string Dump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
}

// The server's NotFound also covers a missing namespace; only name the schedule when it is the
// schedule that is missing.
std::string NotFoundMessage(const Status& s, const std::string& schedule_id) {
  if (s.code() == StatusCode::kNotFound && s.message().find("amespace") == std::string::npos) {
    return "schedule not found: " + PrintableValue(schedule_id);
  }
  return s.message();
}

// --- create ------------------------------------------------------------------------------------

struct CreateFlags {
  ConnectionOptions conn;
  std::string schedule_id;
  ScheduleSpecFlags spec;
  std::string overlap = "skip";
  bool paused = false;
  std::string note;
  std::string task_queue = kTaskQueueDefault;
  std::string workflow_id_prefix;
  RunFlags run;
  AnnotationFlags annotation_flags;
};

int Create(CreateFlags& f) {
  if (f.schedule_id.empty()) {
    PrintError("--schedule-id must not be empty");
    return 2;
  }
  auto spec = BuildScheduleSpec(f.spec);
  if (!spec.ok()) {
    PrintError(spec.status().message());
    return 2;
  }
  auto overlap = ParseOverlapPolicy(f.overlap);
  if (!overlap.ok()) {
    PrintError(overlap.status().message());
    return 2;
  }
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
  auto svc = WorkflowService::Connect(f.conn);
  if (!svc.ok()) {
    PrintError(svc.status().message());
    return 2;
  }
  CreateScheduleOptions o;
  o.namespace_name = (*svc)->options().namespace_name;
  o.identity = (*svc)->options().identity;
  o.request_id = RandomSuffix() + RandomSuffix();
  o.schedule_id = f.schedule_id;
  o.spec = *spec;
  o.overlap = *overlap;
  o.paused = f.paused;
  o.note = f.note;
  o.task_queue = f.task_queue;
  o.workflow_id = f.workflow_id_prefix.empty() ? f.schedule_id : f.workflow_id_prefix;
  o.input = *input;
  o.annotations = *annotations;
  auto resp = (*svc)->CreateSchedule(BuildCreateScheduleRequest(o));
  if (!resp.ok()) {
    const Status& s = resp.status();
    if (s.code() == StatusCode::kAlreadyExists) {
      PrintError("schedule already exists: " + PrintableValue(f.schedule_id));
    } else if (s.code() == StatusCode::kInvalidArgument) {
      PrintError("invalid schedule " + PrintableValue(f.schedule_id) + ": " + s.message());
    } else {
      PrintError(s.message());
    }
    return 2;
  }
  Print(Dump({{"schedule_id", f.schedule_id},
              {"spec", SpecSummary(o.spec)},
              {"overlap", OverlapPolicyName(o.overlap)},
              {"paused", o.paused},
              {"workflow_id_prefix", o.workflow_id},
              {"task_queue", o.task_queue}},
             2));
  return 0;
}

void AddCreate(CLI::App* schedule, int* exit_code) {
  auto flags = std::make_shared<CreateFlags>();
  CreateFlags& f = *flags;
  CLI::App* cmd = schedule->add_subcommand(
      "create",
      "Create a schedule that starts QuarryExtractionWorkflow (run flags as for `start`)");
  AddConnectionFlags(cmd, &f.conn);
  cmd->add_option("--schedule-id", f.schedule_id, "Schedule id")->required();
  cmd->add_option("--cron", f.spec.cron,
                  "Cron expression: \"minute hour day-of-month month day-of-week\" (6 fields: + "
                  "year; 7: second first), or @hourly/@daily/...; repeatable");
  cmd->add_option("--interval", f.spec.interval, "Fire every DURATION (e.g. 30s, 1h)");
  cmd->add_option("--offset", f.spec.offset, "Shift the --interval times by DURATION");
  cmd->add_option("--overlap", f.overlap,
                  "When a run is still going at the next time: skip, buffer_one, buffer_all, "
                  "cancel_other, terminate_other, allow_all")
      ->capture_default_str();
  cmd->add_flag("--paused", f.paused, "Create the schedule paused");
  cmd->add_option("--note", f.note, "Note stored with the schedule's state");
  cmd->add_option("--task-queue", f.task_queue, "Task queue of the workers")->capture_default_str();
  cmd->add_option("--workflow-id-prefix", f.workflow_id_prefix,
                  "Id of the started workflows, before the scheduled time the server appends "
                  "(default: the schedule id)");
  AddRunFlags(cmd, &f.run);
  AddAnnotationFlags(cmd, &f.annotation_flags);
  cmd->callback([flags, exit_code]() { *exit_code = Create(*flags); });
}

// --- describe / delete -------------------------------------------------------------------------

struct ScheduleTarget {
  ConnectionOptions conn;
  std::string schedule_id;
};

void AddTargetFlags(CLI::App* cmd, ScheduleTarget* t) {
  AddConnectionFlags(cmd, &t->conn);
  cmd->add_option("--schedule-id,-s", t->schedule_id, "Schedule id")->required();
}

int Describe(const ScheduleTarget& t) {
  auto svc = WorkflowService::Connect(t.conn);
  if (!svc.ok()) {
    PrintError(svc.status().message());
    return 2;
  }
  wfs::DescribeScheduleRequest req;
  req.set_namespace_((*svc)->options().namespace_name);
  req.set_schedule_id(t.schedule_id);
  auto resp = (*svc)->DescribeSchedule(req);
  if (!resp.ok()) {
    PrintError(NotFoundMessage(resp.status(), t.schedule_id));
    return 2;
  }
  Print(Dump(DescribeScheduleJson(t.schedule_id, *resp), 2));
  return 0;
}

int Delete(const ScheduleTarget& t) {
  auto svc = WorkflowService::Connect(t.conn);
  if (!svc.ok()) {
    PrintError(svc.status().message());
    return 2;
  }
  wfs::DeleteScheduleRequest req;
  req.set_namespace_((*svc)->options().namespace_name);
  req.set_schedule_id(t.schedule_id);
  req.set_identity((*svc)->options().identity);
  auto resp = (*svc)->DeleteSchedule(req);
  if (!resp.ok()) {
    PrintError(NotFoundMessage(resp.status(), t.schedule_id));
    return 2;
  }
  // Workflows the schedule already started are not touched: they finish on their own.
  std::fprintf(stderr, "deleted schedule %s\n", PrintableValue(t.schedule_id).c_str());
  return 0;
}

// --- list --------------------------------------------------------------------------------------

struct ListFlags {
  ConnectionOptions conn;
  std::string output = "json";
};

std::string Table(const std::vector<json>& rows) {
  const std::vector<std::pair<std::string, std::string>> cols = {{"SCHEDULE ID", "schedule_id"},
                                                                 {"PAUSED", "paused"},
                                                                 {"NEXT ACTION", "next"},
                                                                 {"SPEC", "spec"}};
  std::vector<std::vector<std::string>> cells;
  for (const json& r : rows) {
    const json& next = r["next_action_times"];
    cells.push_back({r["schedule_id"].get<std::string>(), r["paused"].get<bool>() ? "yes" : "no",
                     next.empty() ? "-" : next[0].get<std::string>(),
                     r["spec"].get<std::string>()});
  }
  std::vector<size_t> width;
  for (const auto& c : cols) width.push_back(c.first.size());
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& values) {
    std::string out;
    for (size_t i = 0; i < values.size(); ++i) {
      out += values[i];
      if (i + 1 < values.size()) out += std::string(width[i] - values[i].size() + 2, ' ');
    }
    return out + "\n";
  };
  std::vector<std::string> header;
  for (const auto& c : cols) header.push_back(c.first);
  std::string out = line(header);
  for (const auto& row : cells) out += line(row);
  return out;
}

int List(const ListFlags& f) {
  if (f.output != "json" && f.output != "table") {
    PrintError("--output must be json or table, got \"" + f.output + "\"");
    return 2;
  }
  auto svc = WorkflowService::Connect(f.conn);
  if (!svc.ok()) {
    PrintError(svc.status().message());
    return 2;
  }
  std::vector<json> rows;
  std::string token;
  do {
    wfs::ListSchedulesRequest req;
    req.set_namespace_((*svc)->options().namespace_name);
    req.set_maximum_page_size(100);
    req.set_next_page_token(token);
    auto resp = (*svc)->ListSchedules(req);
    if (!resp.ok()) {
      PrintError(resp.status().message());
      return 2;
    }
    for (const auto& e : resp->schedules()) rows.push_back(ScheduleListEntryJson(e));
    token = resp->next_page_token();
  } while (!token.empty());
  if (f.output == "table") {
    Print(Table(rows));
  } else {
    std::string out;
    for (const json& r : rows) out += Dump(r, -1);
    Print(out);
  }
  return 0;
}

}  // namespace

void AddScheduleCommands(CLI::App* app, int* exit_code) {
  CLI::App* schedule = app->add_subcommand(
      "schedule",
      "Temporal Schedules that start QuarryExtractionWorkflow on cron or interval times");
  schedule->require_subcommand(1);
  AddCreate(schedule, exit_code);

  auto describe = std::make_shared<ScheduleTarget>();
  CLI::App* d = schedule->add_subcommand(
      "describe",
      "Show a schedule: spec, overlap, recent and next actions, running workflows (JSON)");
  AddTargetFlags(d, describe.get());
  d->callback([describe, exit_code]() { *exit_code = Describe(*describe); });

  auto list = std::make_shared<ListFlags>();
  CLI::App* l = schedule->add_subcommand(
      "list", "List schedules: one JSON object per line, or a table with --output table");
  AddConnectionFlags(l, &list->conn);
  l->add_option("--output,-o", list->output, "json (one object per line) or table")
      ->capture_default_str();
  l->callback([list, exit_code]() { *exit_code = List(*list); });

  auto del = std::make_shared<ScheduleTarget>();
  CLI::App* x = schedule->add_subcommand(
      "delete", "Delete a schedule (workflows it already started run to their end)");
  AddTargetFlags(x, del.get());
  x->callback([del, exit_code]() { *exit_code = Delete(*del); });
}

}  // namespace quarry::temporal::cli
