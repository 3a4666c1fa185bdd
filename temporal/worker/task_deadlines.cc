#include "worker/task_deadlines.h"

#include <algorithm>
#include <optional>

namespace quarry::temporal {
namespace {

using std::chrono::milliseconds;

milliseconds FromDuration(const google::protobuf::Duration& d) {
  return milliseconds(d.seconds() * 1000 + d.nanos() / 1'000'000);
}

milliseconds FromTimestamp(const google::protobuf::Timestamp& t) {
  return milliseconds(t.seconds() * 1000 + t.nanos() / 1'000'000);
}

}  // namespace

SteadyTime ActivityAcceptDeadline(const wfs::PollActivityTaskQueueResponse& task,
                                  SteadyTime received, SteadyTime last_heartbeat) {
  std::optional<SteadyTime> until;
  auto earliest = [&](SteadyTime t) { until = until ? std::min(*until, t) : t; };
  if (const auto s2c = FromDuration(task.start_to_close_timeout()); s2c.count() > 0) {
    earliest(received + s2c);
  }
  if (const auto total = FromDuration(task.schedule_to_close_timeout()); total.count() > 0) {
    // What is left of it when this attempt started, in the server's own clock.
    const auto used =
        task.has_started_time() && task.has_scheduled_time()
            ? FromTimestamp(task.started_time()) - FromTimestamp(task.scheduled_time())
            : milliseconds(0);
    earliest(received + std::max(milliseconds(0), total - used));
  }
  if (const auto hb = FromDuration(task.heartbeat_timeout()); hb.count() > 0) {
    earliest(last_heartbeat + hb);
  }
  return until ? *until : received + std::chrono::minutes(10);
}

SteadyTime WorkflowTaskAcceptDeadline(const wfs::PollWorkflowTaskQueueResponse& task,
                                      SteadyTime received) {
  milliseconds timeout(10'000);
  if (task.history().events_size() > 0) {
    const auto& first = task.history().events(0);
    if (first.has_workflow_execution_started_event_attributes()) {
      const auto t =
          FromDuration(first.workflow_execution_started_event_attributes().workflow_task_timeout());
      if (t.count() > 0) timeout = t;
    }
  }
  return received + timeout;
}

}  // namespace quarry::temporal
