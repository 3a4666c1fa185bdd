#include "workflows/registry.h"

#include "workflows/batch_workflow.h"
#include "workflows/crawl_params.h"
#include "workflows/crawl_workflow.h"
#include "workflows/extraction_params.h"
#include "workflows/extraction_workflow.h"
#include "workflows/large_batch_workflow.h"

namespace quarry::temporal {

std::unique_ptr<Workflow> CreateWorkflow(const std::string& workflow_type) {
  if (workflow_type == kExtractionWorkflow) return NewExtractionWorkflow();
  if (workflow_type == kBatchWorkflow) return NewBatchWorkflow(BatchKind::kBatch);
  if (workflow_type == kBatchChunkWorkflow) return NewBatchWorkflow(BatchKind::kChunk);
  if (workflow_type == kLargeBatchWorkflow) return NewLargeBatchWorkflow();
  if (workflow_type == kCrawlWorkflow) return NewCrawlWorkflow();
  return nullptr;
}

}  // namespace quarry::temporal
