// Replays a full workflow history into a fresh workflow instance and returns the commands of the
// current workflow task (../shared/spec/temporal.md §4). The worker uses no sticky queues, so every
// task starts from event 1:
//
//   * events are delivered to the workflow at the workflow task that follows them in history;
//     tasks that failed or timed out are skipped (their events go to the next task);
//   * the commands each completed task produced are checked, in order, against the command events
//     that follow its WorkflowTaskCompleted event (type and activity/timer id must match); any
//     difference is a non-determinism error;
//   * the commands of the last task (its WorkflowTaskStarted is the last event) are the result.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "temporal/api/common/v1/message.pb.h"
#include "temporal/api/history/v1/message.pb.h"
#include "workflows/updates.h"
#include "workflows/workflow.h"

namespace quarry::temporal {

struct ReplayResult {
  enum class Kind {
    kCommands,          // commands holds the new commands of the current task (maybe none)
    kNonDeterministic,  // message says which command and event disagreed
    kUnknownWorkflow,   // no workflow registered for the type
    kBadHistory,        // malformed history (no start event, ...)
  };
  Kind kind = Kind::kCommands;
  std::vector<command_pb::Command> commands;
  std::string message;
  // kCommands: the workflow as the replay left it, to answer queries (workflows/queries.h);
  // what it waits on at the end of history ("activity run-3/attempt-1 (RunQuarryExtraction)",
  // "timer backoff-2", "child workflow b/chunk-0"); signals of the current task no handler took.
  std::shared_ptr<const Workflow> workflow;
  std::vector<std::string> waiting_on;
  std::vector<std::string> unhandled_signals;
  // Answers to the current task's update requests (workflows/updates.h), in request order.
  std::vector<protocol_pb::Message> messages;
};

// `updates`: the update requests that came with the current task, applied after its events.
ReplayResult ReplayHistory(WorkflowFactory factory,
                           const ::temporal::api::common::v1::WorkflowExecution& execution,
                           const std::string& workflow_type,
                           const ::temporal::api::history::v1::History& history,
                           const std::vector<UpdateRequest>& updates = {});

}  // namespace quarry::temporal
