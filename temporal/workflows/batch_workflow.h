// BatchExtraction and BatchChunk (../shared/spec/temporal.md §4): up to 500 runs in one workflow,
// at most max_parallel of them at a time, each with QuarryExtractionWorkflow's per-run retries
// and lineage (RunAttempts). Completes with the aggregate (batch_aggregate.h) whether or not some
// runs failed; fails only when its input is unusable.
//
// Ids in history (changing them makes running workflows non-deterministic):
//   activity "read-runs"                  ReadQuarryBatchRuns, when the runs come from a file
//   activity "run-<i>/attempt-<n>"        attempt n of run i (i is the run's index in the whole
//   timer    "run-<i>/backoff-<n>"        batch, so a chunk's ids match the parent's numbering)
//   activity "notify"                     NotifyWebhook after the aggregate is known
// Run ids: AttemptRunId("<workflow run id>/run-<i>", n). Job ids default to
// "<job_id_prefix>run-<i>", the prefix being "<workflow id>/" unless the parent set one.
#pragma once

#include <memory>

#include "workflows/batch_params.h"
#include "workflows/workflow.h"

namespace quarry::temporal {

std::unique_ptr<Workflow> NewBatchWorkflow(BatchKind kind);

// The "read-runs" activity both batch shapes schedule for a runs file.
void ScheduleReadRuns(WorkflowContext& ctx, const BatchParams& params, int64_t offset,
                      int64_t count);
inline constexpr char kReadRunsActivityId[] = "read-runs";

}  // namespace quarry::temporal
