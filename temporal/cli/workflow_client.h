// What the client subcommands share: starting a workflow and waiting for its close event, with
// server errors turned into one clear line.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/annotations.h"
#include "client/retry.h"
#include "client/workflow_service.h"
#include "quarry/status.h"

namespace quarry::temporal::cli {

struct Target {
  ConnectionOptions conn;
  std::string workflow_id;
  std::string run_id;
};

void PrintJson(const nlohmann::json& j);

// The client's calls that change something (start, cancel) and its waits for a result ride out a
// server outage of up to this long (docs/temporal.md, "Riding out an outage"); reads (describe,
// list) report an unreachable server at once.
inline constexpr std::chrono::seconds kClientRetryFor{30};
RetryUntil ClientRetry();
std::string RandomSuffix();

// Starts `workflow_type` with `input` as t->workflow_id (a random "<id_prefix>-…" when empty);
// sets t->run_id. "workflow already running: <id>" when the id is taken.
Status StartWorkflow(WorkflowService* svc, Target* t, const std::string& workflow_type,
                     const std::string& task_queue, const nlohmann::json& input,
                     const std::string& id_prefix, const Annotations& annotations = {});

// Waits for the workflow to close, prints it as JSON and returns its exit code
// (workflows/close_event.h).
int WaitAndPrint(WorkflowService* svc, const Target& t);

}  // namespace quarry::temporal::cli
