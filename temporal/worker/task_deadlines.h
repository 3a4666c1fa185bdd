// Until when the server still accepts what the worker reports for a task: the bound of the
// retries that carry a finished task's result through a server outage (client/retry.h).
//
// The server's clock and ours differ, so the deadlines are measured on our steady clock from the
// moment the task arrived (`received`): the timeouts the task carries, started at `received`
// rather than at the server's start time, end a round trip later than the server's. A report
// retried slightly too long only gets NotFound.
#pragma once

#include <chrono>

#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace quarry::temporal {

namespace wfs = ::temporal::api::workflowservice::v1;
using SteadyTime = std::chrono::steady_clock::time_point;

// The earliest of: the start-to-close deadline, the schedule-to-close deadline, and (with a
// heartbeat timeout) `last_heartbeat` + heartbeat timeout, where `last_heartbeat` is when the
// server last acknowledged a heartbeat of this attempt (or `received` before the first). Without
// any timeout (servers always set start-to-close): `received` + 10 minutes.
SteadyTime ActivityAcceptDeadline(const wfs::PollActivityTaskQueueResponse& task,
                                  SteadyTime received, SteadyTime last_heartbeat);

// `received` + the workflow task timeout of the execution (WorkflowExecutionStarted's
// workflow_task_timeout, in the first history page), 10 s (the server default) when absent.
SteadyTime WorkflowTaskAcceptDeadline(const wfs::PollWorkflowTaskQueueResponse& task,
                                      SteadyTime received);

}  // namespace quarry::temporal
