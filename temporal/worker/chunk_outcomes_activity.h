// ReadQuarryChunkOutcomes (workflows/batch_params.h): which runs of a BatchChunk that ended
// without its aggregate (terminated, timed out) did succeed, read from Lode. Workflow code does no
// I/O, so LargeBatchExtraction asks a worker:
//   {storage, chunk_run_id, first_index, count, max_attempts} -> {succeeded: [index...]}
// Run ids are the chunk's own derivation (workflows/run_id.h): attempt n of the run of global
// index i is AttemptRunId("<chunk_run_id>/run-<i>", n). A run counts as succeeded when one of its
// attempts has a committed metrics record with outcome success. The dataset is read like the
// read commands read it (committed snapshots only, never written).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "worker/extraction_activity.h"

namespace quarry::temporal {

ActivityOutcome ReadChunkOutcomes(const std::optional<nlohmann::json>& input);

}  // namespace quarry::temporal
