// The contract between the replay engine and workflow code. A workflow is a deterministic state
// machine: it sees the events of its history in order, grouped by workflow task, and answers with
// commands. It must not read clocks, randomness, the environment or do I/O: everything it decides
// is a function of what it was given here.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "client/failure.h"
#include "temporal/api/command/v1/message.pb.h"
#include "temporal/api/failure/v1/message.pb.h"

namespace quarry::temporal {

namespace command_pb = ::temporal::api::command::v1;

struct StartInfo {
  std::string workflow_id;
  std::string run_id;  // of this execution
  std::string workflow_type;
  std::string task_queue;
  // The first input argument; nullopt when none was given. Undecodable input is reported as
  // input_error instead.
  std::optional<nlohmann::json> input;
  std::string input_error;
};

struct ActivityResolution {
  enum class Kind { kCompleted, kFailed, kTimedOut, kCanceled };
  Kind kind = Kind::kCompleted;
  std::optional<nlohmann::json> result;  // kCompleted
  failure_pb::Failure failure;           // kFailed, kTimedOut
  FailureView view;                      // of `failure` (kFailed, kTimedOut) or of the details
  // The `run_id` of the input history recorded when the activity was scheduled: what the attempt
  // really ran as. It differs from what the code derives now after a reset (a new execution run
  // id replaying events of the old one), so lineage follows the recorded value.
  std::string scheduled_run_id;
};

struct ActivityOptions {
  std::string activity_id;
  std::string activity_type;
  std::string task_queue;
  nlohmann::json input;
  std::chrono::milliseconds start_to_close{0};
  std::chrono::milliseconds heartbeat{0};
  std::chrono::milliseconds schedule_to_start{0};
  int32_t maximum_attempts = 1;
  std::chrono::milliseconds retry_initial_interval{1000};
};

// A child workflow (LargeBatchExtraction's chunks). The parent close policy is REQUEST_CANCEL:
// cancelling the parent cancels its children, and they record it in their own history.
struct ChildWorkflowOptions {
  std::string workflow_id;
  std::string workflow_type;
  std::string task_queue;
  nlohmann::json input;
};

// What the history said about the workflow task being decided (its WorkflowTaskStarted event).
// Recorded in history, so a replay sees the values the original decision saw.
struct TaskInfo {
  int64_t history_length = 0;      // event id of the WorkflowTaskStarted: events so far
  int64_t history_size_bytes = 0;  // as the server counted them
  bool continue_as_new_suggested = false;
};

struct ChildResolution {
  // kStartFailed: the server refused to start it (e.g. an execution with that id is running).
  enum class Kind { kCompleted, kFailed, kCanceled, kTimedOut, kTerminated, kStartFailed };
  Kind kind = Kind::kCompleted;
  std::optional<nlohmann::json> result;  // kCompleted
  FailureView view;                      // kFailed, kTimedOut; message for the others
  std::string run_id;                    // the child execution's run id, once it started
};

// What workflow code may do. Commands are collected in call order; after the workflow closed
// (Complete/Fail/CancelWorkflow/ContinueAsNew) further commands are ignored.
class WorkflowContext {
 public:
  virtual ~WorkflowContext() = default;
  virtual const StartInfo& info() const = 0;
  virtual const TaskInfo& task() const = 0;
  virtual void ScheduleActivity(const ActivityOptions& options) = 0;
  virtual void RequestCancelActivity(const std::string& activity_id) = 0;
  virtual void StartChildWorkflow(const ChildWorkflowOptions& options) = 0;
  virtual void StartTimer(const std::string& timer_id, std::chrono::milliseconds delay) = 0;
  virtual void CancelTimer(const std::string& timer_id) = 0;
  virtual void Complete(const nlohmann::json& result) = 0;
  virtual void Fail(const failure_pb::Failure& failure) = 0;
  virtual void CancelWorkflow(const nlohmann::json& details) = 0;
  // Closes this execution and starts the next run of the same workflow id, type and task queue
  // with `input` (history starts again from event 1).
  virtual void ContinueAsNew(const nlohmann::json& input) = 0;
  // The patching primitive (like the SDKs' `patched` / GetVersion; docs/temporal.md "Changing
  // workflow code"): whether this execution takes the code path introduced by change `patch_id`.
  // Deciding a new task: true, and a marker records it in history. Replaying a task: true only if
  // that task recorded the marker, so histories written before the change replay the old path.
  // The first answer for an id holds for the rest of the execution.
  virtual bool Patched(const std::string& patch_id) = 0;
};

class Workflow {
 public:
  virtual ~Workflow() = default;
  virtual void OnStart(WorkflowContext& ctx) = 0;
  virtual void OnActivityResolved(WorkflowContext& ctx, const std::string& activity_id,
                                  const ActivityResolution& resolution) = 0;
  virtual void OnTimerFired(WorkflowContext& ctx, const std::string& timer_id) = 0;
  // Only workflows that start children receive this.
  virtual void OnChildResolved(WorkflowContext& /*ctx*/, const std::string& /*workflow_id*/,
                               const ChildResolution& /*resolution*/) {}
  virtual void OnCancelRequested(WorkflowContext& ctx) = 0;
  // A signal (WorkflowExecutionSignaled). Returns false when this workflow has no handler for
  // `name`: the worker logs it (the SDKs' behaviour for a signal nobody handles) and drops it.
  virtual bool OnSignal(WorkflowContext& /*ctx*/, const std::string& /*name*/,
                        const std::optional<nlohmann::json>& /*input*/) {
    return false;
  }
  // The signal names OnSignal handles, for messages.
  virtual std::vector<std::string> SignalNames() const { return {}; }
  // An update (workflows/updates.h): validate, then apply and answer. A rejection must change
  // nothing (it is not in history, so replay never sees it). The default rejects every name.
  struct UpdateOutcome {
    bool accepted = false;
    nlohmann::json result;  // accepted: the update's answer
    std::string rejection;  // !accepted: why, one line
  };
  virtual UpdateOutcome OnUpdate(WorkflowContext& /*ctx*/, const std::string& name,
                                 const std::optional<nlohmann::json>& /*input*/) {
    return {false, nullptr, "unknown update " + name + ". KnownUpdates=[]"};
  }
  // The `progress` query (workflows/queries.h): read-only, from the state after the last
  // completed workflow task.
  virtual nlohmann::json Progress() const = 0;
};

// Creates a fresh instance for one replay; nullptr for an unknown workflow type.
using WorkflowFactory = std::unique_ptr<Workflow> (*)(const std::string& workflow_type);

}  // namespace quarry::temporal
