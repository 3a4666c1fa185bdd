// LargeBatchExtraction (../shared/spec/temporal.md §4): more runs than one workflow should hold,
// split into BatchChunk child workflows of chunk_size (≤ 500) runs, at most max_parallel_chunks
// running at once; completes with the aggregate of its chunks (batch_aggregate.h).
//
// A runs file is first counted and digested by ReadQuarryBatchRuns on the worker; each chunk gets
// only the reference, its slice bounds and the digest (the file must not change meanwhile), so no
// payload grows with the batch. Inline runs are sliced into the chunks' inputs.
//
// Ids in history (changing them makes running workflows non-deterministic):
//   activity "read-runs"              counting the runs file
//   child    "<workflow id>/chunk-<c>" chunk c (runs c × chunk_size onwards)
//   activity "notify"                 NotifyWebhook after the aggregate is known
// Cancelling the parent cancels it at once; its children are cancelled by their parent close
// policy and finish their own cancellation (their running activities are cancelled).
#pragma once

#include <memory>

#include "workflows/workflow.h"

namespace quarry::temporal {

std::unique_ptr<Workflow> NewLargeBatchWorkflow();

}  // namespace quarry::temporal
