// QuarryCrawlWorkflow (docs/temporal.md, "QuarryCrawlWorkflow"): a root run and the children its
// `enqueue` events ask for, each child a RunQuarryExtraction task with the per-run retries and
// lineage of the other workflows, under the fan-out rules of cli-and-integrations.md §9 (depth,
// dedup key, max_runs, FIFO, parallel, D5 identity, D11.16 source/category). Long crawls continue
// as new, carrying the frontier (crawl_state.h).
//
// Ids in history (changing them makes running workflows non-deterministic):
//   activity "task-<i>/attempt-<n>"  attempt n of task i (0 = the root, children from 1 in the
//   timer    "task-<i>/backoff-<n>"   order they were accepted over the whole crawl)
//   activity "notify"                NotifyWebhook after the summary is known
// Run ids: AttemptRunId("<crawl run id>/task-<i>", n), the crawl run id being the run id of the
// crawl's first execution, so they do not change when it continues as new.
#pragma once

#include <memory>

#include "workflows/workflow.h"

namespace quarry::temporal {

std::unique_ptr<Workflow> NewCrawlWorkflow();

}  // namespace quarry::temporal
