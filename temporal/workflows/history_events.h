// What the replay engine reads from history events (workflows/replay.cc): which command an event
// records (for the determinism check), what a child's close event says, which run an activity
// was scheduled to run as, and which scheduling event a resolution closes.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "temporal/api/command/v1/message.pb.h"
#include "temporal/api/enums/v1/command_type.pb.h"
#include "temporal/api/history/v1/message.pb.h"
#include "workflows/workflow.h"

namespace quarry::temporal::internal {

namespace history_pb = ::temporal::api::history::v1;

// The marker WorkflowContext::Patched records: marker name, and the details key holding the
// patch id (a json/plain string).
inline constexpr char kPatchMarkerName[] = "quarry-patch";
inline constexpr char kPatchMarkerIdKey[] = "patch_id";

// What a command event in history, or a command of ours, stands for: its command type and the id
// that names it (activity id, timer id, scheduled event id; empty for closing commands).
struct CommandKey {
  ::temporal::api::enums::v1::CommandType type =
      ::temporal::api::enums::v1::COMMAND_TYPE_UNSPECIFIED;
  std::string id;
  std::string what;  // for messages: the event type when it came from history

  bool operator==(const CommandKey& o) const { return type == o.type && id == o.id; }
  std::string Describe() const;
};

CommandKey KeyOf(const command_pb::Command& c);
// nullopt for events that are not the result of a command.
std::optional<CommandKey> CommandKeyOfEvent(const history_pb::HistoryEvent& e);
// The initiated event id a child event refers to, and what it says about the child.
std::pair<int64_t, ChildResolution> ResolveChild(const history_pb::HistoryEvent& e);
// The "run_id" field of the input an ActivityTaskScheduled event recorded, when it has one.
std::optional<std::string> RecordedRunId(const history_pb::HistoryEvent& e);
// The scheduling event an activity or child resolution event closes.
std::optional<int64_t> ResolvedWaitEvent(const history_pb::HistoryEvent& e);
// The patch ids of the markers among the command events of the completed task whose
// WorkflowTaskStarted is events[started] (up to the next WorkflowTaskStarted).
std::set<std::string> PatchesOfTask(
    const google::protobuf::RepeatedPtrField<history_pb::HistoryEvent>& events, int started);
// "ACTIVITY_TASK_SCHEDULED" for EVENT_TYPE_ACTIVITY_TASK_SCHEDULED.
std::string EventName(const history_pb::HistoryEvent& e);

}  // namespace quarry::temporal::internal
