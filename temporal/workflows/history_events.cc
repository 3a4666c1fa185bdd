#include "workflows/history_events.h"

#include "client/failure.h"
#include "client/payload.h"
#include "temporal/api/enums/v1/event_type.pb.h"
#include "temporal/api/enums/v1/failed_cause.pb.h"

namespace quarry::temporal::internal {

namespace enums = ::temporal::api::enums::v1;

namespace {

std::string PatchIdOf(const google::protobuf::Map<std::string, common_pb::Payloads>& details) {
  auto it = details.find(kPatchMarkerIdKey);
  if (it == details.end()) return "";
  auto v = DecodeSingleArgument(it->second);
  return v.ok() && *v && (*v)->is_string() ? (*v)->get<std::string>() : "";
}

}  // namespace

std::set<std::string> PatchesOfTask(
    const google::protobuf::RepeatedPtrField<history_pb::HistoryEvent>& events, int started) {
  std::set<std::string> out;
  for (int j = started + 1; j < events.size(); ++j) {
    const auto& e = events[j];
    if (e.event_type() == enums::EVENT_TYPE_WORKFLOW_TASK_STARTED) break;
    if (e.event_type() != enums::EVENT_TYPE_MARKER_RECORDED) continue;
    const auto& a = e.marker_recorded_event_attributes();
    if (a.marker_name() == kPatchMarkerName) out.insert(PatchIdOf(a.details()));
  }
  return out;
}

std::string CommandKey::Describe() const {
  std::string name = enums::CommandType_Name(type);
  if (name.rfind("COMMAND_TYPE_", 0) == 0) name.erase(0, 13);
  if (type == enums::COMMAND_TYPE_UNSPECIFIED) name = what;
  return id.empty() ? name : name + " \"" + id + "\"";
}

CommandKey KeyOf(const command_pb::Command& c) {
  CommandKey k{c.command_type(), "", ""};
  switch (c.command_type()) {
    case enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
      k.id = c.schedule_activity_task_command_attributes().activity_id();
      break;
    case enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
      k.id =
          std::to_string(c.request_cancel_activity_task_command_attributes().scheduled_event_id());
      break;
    case enums::COMMAND_TYPE_START_TIMER:
      k.id = c.start_timer_command_attributes().timer_id();
      break;
    case enums::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
      k.id = c.start_child_workflow_execution_command_attributes().workflow_id();
      break;
    case enums::COMMAND_TYPE_CANCEL_TIMER:
      k.id = c.cancel_timer_command_attributes().timer_id();
      break;
    case enums::COMMAND_TYPE_RECORD_MARKER: {
      const auto& a = c.record_marker_command_attributes();
      k.id = a.marker_name() + ":" + PatchIdOf(a.details());
      break;
    }
    default:
      break;
  }
  return k;
}

std::optional<CommandKey> CommandKeyOfEvent(const history_pb::HistoryEvent& e) {
  switch (e.event_type()) {
    case enums::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
      return CommandKey{enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
                        e.activity_task_scheduled_event_attributes().activity_id(), ""};
    case enums::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
      return CommandKey{
          enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
          std::to_string(e.activity_task_cancel_requested_event_attributes().scheduled_event_id()),
          ""};
    case enums::EVENT_TYPE_TIMER_STARTED:
      return CommandKey{enums::COMMAND_TYPE_START_TIMER,
                        e.timer_started_event_attributes().timer_id(), ""};
    case enums::EVENT_TYPE_TIMER_CANCELED:
      return CommandKey{enums::COMMAND_TYPE_CANCEL_TIMER,
                        e.timer_canceled_event_attributes().timer_id(), ""};
    case enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
      return CommandKey{enums::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
                        e.start_child_workflow_execution_initiated_event_attributes().workflow_id(),
                        ""};
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      return CommandKey{enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, "", ""};
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      return CommandKey{enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION, "", ""};
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      return CommandKey{enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, "", ""};
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
      return CommandKey{enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION, "", ""};
    case enums::EVENT_TYPE_MARKER_RECORDED: {
      const auto& a = e.marker_recorded_event_attributes();
      if (a.marker_name() != kPatchMarkerName) {
        return CommandKey{enums::COMMAND_TYPE_UNSPECIFIED, "",
                          EventName(e) + " " + a.marker_name()};
      }
      return CommandKey{enums::COMMAND_TYPE_RECORD_MARKER,
                        a.marker_name() + ":" + PatchIdOf(a.details()), ""};
    }
    // Command events of features our workflows never use: always a mismatch.
    case enums::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
    case enums::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
    case enums::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
    case enums::EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
    case enums::EVENT_TYPE_NEXUS_OPERATION_SCHEDULED:
    case enums::EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED:
      return CommandKey{enums::COMMAND_TYPE_UNSPECIFIED, "", enums::EventType_Name(e.event_type())};
    default:
      return std::nullopt;
  }
}

std::pair<int64_t, ChildResolution> ResolveChild(const history_pb::HistoryEvent& e) {
  ChildResolution r;
  using K = ChildResolution::Kind;
  switch (e.event_type()) {
    case enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: {
      const auto& a = e.start_child_workflow_execution_failed_event_attributes();
      r.kind = K::kStartFailed;
      r.view.message = "child workflow " + a.workflow_id() + " could not start: " +
                       enums::StartChildWorkflowExecutionFailedCause_Name(a.cause());
      return {a.initiated_event_id(), r};
    }
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: {
      const auto& a = e.child_workflow_execution_completed_event_attributes();
      r.run_id = a.workflow_execution().run_id();
      r.kind = K::kCompleted;
      auto v = DecodeSingleArgument(a.result());
      if (v.ok()) r.result = *v;
      return {a.initiated_event_id(), r};
    }
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: {
      const auto& a = e.child_workflow_execution_failed_event_attributes();
      r.run_id = a.workflow_execution().run_id();
      r.kind = K::kFailed;
      r.view = ViewFailure(a.failure());
      return {a.initiated_event_id(), r};
    }
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: {
      const auto& a = e.child_workflow_execution_canceled_event_attributes();
      r.run_id = a.workflow_execution().run_id();
      r.kind = K::kCanceled;
      r.view.kind = FailureView::Kind::kCanceled;
      r.view.message = "child workflow canceled";
      return {a.initiated_event_id(), r};
    }
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: {
      const auto& a = e.child_workflow_execution_timed_out_event_attributes();
      r.run_id = a.workflow_execution().run_id();
      r.kind = K::kTimedOut;
      r.view.kind = FailureView::Kind::kTimeout;
      r.view.message = "child workflow timed out";
      return {a.initiated_event_id(), r};
    }
    default: {
      const auto& a = e.child_workflow_execution_terminated_event_attributes();
      r.run_id = a.workflow_execution().run_id();
      r.kind = K::kTerminated;
      r.view.message = "child workflow terminated";
      return {a.initiated_event_id(), r};
    }
  }
}

std::optional<std::string> RecordedRunId(const history_pb::HistoryEvent& e) {
  const auto& input = e.activity_task_scheduled_event_attributes().input();
  if (input.payloads_size() == 0) return std::nullopt;
  auto v = DecodeSingleArgument(input);
  if (!v.ok() || !*v || !(*v)->is_object()) return std::nullopt;
  auto it = (*v)->find("run_id");
  if (it == (*v)->end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<int64_t> ResolvedWaitEvent(const history_pb::HistoryEvent& e) {
  switch (e.event_type()) {
    case enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      return e.activity_task_completed_event_attributes().scheduled_event_id();
    case enums::EVENT_TYPE_ACTIVITY_TASK_FAILED:
      return e.activity_task_failed_event_attributes().scheduled_event_id();
    case enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      return e.activity_task_timed_out_event_attributes().scheduled_event_id();
    case enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED:
      return e.activity_task_canceled_event_attributes().scheduled_event_id();
    case enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
      return ResolveChild(e).first;
    default:
      return std::nullopt;
  }
}

std::string EventName(const history_pb::HistoryEvent& e) {
  std::string name = enums::EventType_Name(e.event_type());
  if (name.rfind("EVENT_TYPE_", 0) == 0) name.erase(0, 11);
  return name;
}

}  // namespace quarry::temporal::internal
