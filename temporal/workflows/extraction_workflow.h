// QuarryExtractionWorkflow (../shared/spec/temporal.md §4): one RunQuarryExtraction activity per
// attempt, workflow-level retries with backoff timers and Quarry lineage (run ids derived from the
// workflow run id and the attempt number, attempt n > 1 has parent_run_id = run id of n - 1).
//
// Ids in history (changing them makes running workflows non-deterministic):
//   activity "attempt-<n>"  the extraction of attempt n      (run_attempts.h, empty prefix)
//   timer    "backoff-<n>"  the wait before attempt n
//   activity "notify"       the NotifyWebhook call after the final outcome
#pragma once

#include <memory>
#include <string>

#include "workflows/workflow.h"

namespace quarry::temporal {

std::unique_ptr<Workflow> NewExtractionWorkflow();

}  // namespace quarry::temporal
