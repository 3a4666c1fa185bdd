// Synthetic workflow histories for replay tests, event by event as the server would write them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "client/failure.h"
#include "client/payload.h"
#include "temporal/api/enums/v1/event_type.pb.h"
#include "temporal/api/history/v1/message.pb.h"

namespace quarry::temporal::testing {

namespace enums = ::temporal::api::enums::v1;
namespace history_pb = ::temporal::api::history::v1;

class HistoryBuilder {
 public:
  explicit HistoryBuilder(const nlohmann::json& input, const std::string& task_queue = "quarry") {
    auto* a = Add(enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
                  ->mutable_workflow_execution_started_event_attributes();
    a->mutable_workflow_type()->set_name("QuarryExtractionWorkflow");
    a->mutable_task_queue()->set_name(task_queue);
    if (!input.is_null()) *a->mutable_input() = JsonPayloads(input);
  }

  // WorkflowTaskScheduled + WorkflowTaskStarted (the current task when nothing follows).
  HistoryBuilder& TaskStarted() {
    Add(enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
    Add(enums::EVENT_TYPE_WORKFLOW_TASK_STARTED);
    return *this;
  }
  HistoryBuilder& TaskCompleted() {
    Add(enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    return *this;
  }
  HistoryBuilder& TaskFailed() {
    Add(enums::EVENT_TYPE_WORKFLOW_TASK_FAILED);
    return *this;
  }
  // A whole completed task.
  HistoryBuilder& Task() { return TaskStarted().TaskCompleted(); }

  // Returns the scheduled event id.
  // `input`: what the scheduling command carried (null: none recorded).
  int64_t ActivityScheduled(const std::string& activity_id, const nlohmann::json& input = nullptr) {
    auto* e = Add(enums::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    e->mutable_activity_task_scheduled_event_attributes()->set_activity_id(activity_id);
    if (!input.is_null()) {
      *e->mutable_activity_task_scheduled_event_attributes()->mutable_input() = JsonPayloads(input);
    }
    e->mutable_activity_task_scheduled_event_attributes()->mutable_activity_type()->set_name(
        "RunQuarryExtraction");
    return e->event_id();
  }
  HistoryBuilder& ActivityCompleted(int64_t scheduled, const nlohmann::json& result) {
    auto* a = Add(enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
                  ->mutable_activity_task_completed_event_attributes();
    a->set_scheduled_event_id(scheduled);
    *a->mutable_result() = JsonPayloads(result);
    return *this;
  }
  HistoryBuilder& ActivityFailed(int64_t scheduled, const ApplicationError& error) {
    auto* a = Add(enums::EVENT_TYPE_ACTIVITY_TASK_FAILED)
                  ->mutable_activity_task_failed_event_attributes();
    a->set_scheduled_event_id(scheduled);
    *a->mutable_failure() = ToFailure(error);
    return *this;
  }
  // `heartbeat`: the details of the attempt's last heartbeat, as the server reports them.
  HistoryBuilder& ActivityTimedOut(int64_t scheduled,
                                   const std::optional<nlohmann::json>& heartbeat = std::nullopt) {
    auto* a = Add(enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)
                  ->mutable_activity_task_timed_out_event_attributes();
    a->set_scheduled_event_id(scheduled);
    a->mutable_failure()->set_message("activity Heartbeat timeout");
    auto* info = a->mutable_failure()->mutable_timeout_failure_info();
    info->set_timeout_type(enums::TIMEOUT_TYPE_HEARTBEAT);
    if (heartbeat) *info->mutable_last_heartbeat_details() = JsonPayloads(*heartbeat);
    return *this;
  }
  HistoryBuilder& ActivityCancelRequested(int64_t scheduled) {
    Add(enums::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)
        ->mutable_activity_task_cancel_requested_event_attributes()
        ->set_scheduled_event_id(scheduled);
    return *this;
  }
  HistoryBuilder& ActivityCanceled(int64_t scheduled) {
    Add(enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED)
        ->mutable_activity_task_canceled_event_attributes()
        ->set_scheduled_event_id(scheduled);
    return *this;
  }
  HistoryBuilder& TimerStarted(const std::string& id) {
    Add(enums::EVENT_TYPE_TIMER_STARTED)
        ->mutable_timer_started_event_attributes()
        ->set_timer_id(id);
    return *this;
  }
  HistoryBuilder& TimerFired(const std::string& id) {
    Add(enums::EVENT_TYPE_TIMER_FIRED)->mutable_timer_fired_event_attributes()->set_timer_id(id);
    return *this;
  }
  HistoryBuilder& TimerCanceled(const std::string& id) {
    Add(enums::EVENT_TYPE_TIMER_CANCELED)
        ->mutable_timer_canceled_event_attributes()
        ->set_timer_id(id);
    return *this;
  }
  // Returns the initiated event id.
  int64_t ChildInitiated(const std::string& workflow_id, const std::string& type = "BatchChunk") {
    auto* a = Add(enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
                  ->mutable_start_child_workflow_execution_initiated_event_attributes();
    a->set_workflow_id(workflow_id);
    a->mutable_workflow_type()->set_name(type);
    return history_.events_size();
  }
  HistoryBuilder& ChildStarted(int64_t initiated) {
    Add(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
        ->mutable_child_workflow_execution_started_event_attributes()
        ->set_initiated_event_id(initiated);
    return *this;
  }
  HistoryBuilder& ChildCompleted(int64_t initiated, const nlohmann::json& result) {
    auto* a = Add(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
                  ->mutable_child_workflow_execution_completed_event_attributes();
    a->set_initiated_event_id(initiated);
    *a->mutable_result() = JsonPayloads(result);
    return *this;
  }
  HistoryBuilder& ChildFailed(int64_t initiated, const ApplicationError& error) {
    auto* a = Add(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED)
                  ->mutable_child_workflow_execution_failed_event_attributes();
    a->set_initiated_event_id(initiated);
    *a->mutable_failure() = ToFailure(error);
    return *this;
  }
  HistoryBuilder& ChildTerminated(int64_t initiated, const std::string& run_id) {
    auto* a = Add(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED)
                  ->mutable_child_workflow_execution_terminated_event_attributes();
    a->set_initiated_event_id(initiated);
    a->mutable_workflow_execution()->set_run_id(run_id);
    return *this;
  }
  HistoryBuilder& Signaled(const std::string& name, const nlohmann::json& input = nullptr) {
    auto* a = Add(enums::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
                  ->mutable_workflow_execution_signaled_event_attributes();
    a->set_signal_name(name);
    if (!input.is_null()) *a->mutable_input() = JsonPayloads(input);
    return *this;
  }
  // WorkflowExecutionUpdateAccepted of update `id` (after the WorkflowTaskCompleted that accepted
  // it).
  HistoryBuilder& UpdateAccepted(const std::string& id, const std::string& name,
                                 const nlohmann::json& input) {
    auto* a = Add(enums::EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
                  ->mutable_workflow_execution_update_accepted_event_attributes();
    a->set_protocol_instance_id(id);
    a->set_accepted_request_message_id(id + "/request");
    a->mutable_accepted_request()->mutable_meta()->set_update_id(id);
    a->mutable_accepted_request()->mutable_input()->set_name(name);
    *a->mutable_accepted_request()->mutable_input()->mutable_args() = JsonPayloads(input);
    return *this;
  }
  // The marker WorkflowContext::Patched records for `patch_id`.
  HistoryBuilder& PatchMarker(const std::string& patch_id) {
    auto* a = Add(enums::EVENT_TYPE_MARKER_RECORDED)->mutable_marker_recorded_event_attributes();
    a->set_marker_name("quarry-patch");
    (*a->mutable_details())["patch_id"] = JsonPayloads(patch_id);
    return *this;
  }
  HistoryBuilder& CancelRequested() {
    Add(enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    return *this;
  }
  HistoryBuilder& Completed() {
    Add(enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    return *this;
  }
  HistoryBuilder& Failed() {
    Add(enums::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    return *this;
  }
  HistoryBuilder& Canceled() {
    Add(enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
    return *this;
  }
  HistoryBuilder& Raw(enums::EventType type) {
    Add(type);
    return *this;
  }

  const history_pb::History& history() const { return history_; }

 private:
  history_pb::HistoryEvent* Add(enums::EventType type) {
    auto* e = history_.add_events();
    e->set_event_id(history_.events_size());
    e->set_event_type(type);
    return e;
  }

  history_pb::History history_;
};

}  // namespace quarry::temporal::testing
