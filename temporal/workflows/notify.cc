#include "workflows/notify.h"

namespace quarry::temporal {

void ScheduleNotify(WorkflowContext& ctx, const NotifyParams& notify,
                    const ActivityTimeouts& timeouts, nlohmann::json body) {
  ActivityOptions o;
  o.activity_id = kNotifyActivityId;
  o.activity_type = kNotifyActivity;
  o.task_queue = ctx.info().task_queue;
  o.input = {{"url", notify.url}, {"headers", notify.headers}, {"body", std::move(body)}};
  o.start_to_close = std::chrono::seconds(30);
  o.schedule_to_start = timeouts.schedule_to_start;
  o.maximum_attempts = 10;
  o.retry_initial_interval = std::chrono::seconds(1);
  ctx.ScheduleActivity(o);
}

}  // namespace quarry::temporal
