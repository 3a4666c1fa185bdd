// The NotifyWebhook activity a workflow runs after its final outcome when its input has `notify`
// (../shared/spec/temporal.md §4). Temporal retries it with backoff, so delivery is at least once
// without an outbox. Its activity id in history is "notify".
#pragma once

#include <nlohmann/json.hpp>

#include "workflows/extraction_params.h"
#include "workflows/workflow.h"

namespace quarry::temporal {

inline constexpr char kNotifyActivityId[] = "notify";

void ScheduleNotify(WorkflowContext& ctx, const NotifyParams& notify,
                    const ActivityTimeouts& timeouts, nlohmann::json body);

}  // namespace quarry::temporal
