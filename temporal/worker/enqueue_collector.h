// The `enqueue` events of one run, as RunQuarryExtraction hands them to a crawl workflow
// (docs/temporal.md, "QuarryCrawlWorkflow"). It watches every accepted event through the run's
// observer, which sees events before the policy (so a policy that drops `enqueue` still fans
// out), and keeps the requests up to the caps the workflow asked for: everything past them is only
// counted, so an activity result stays far below Temporal's payload limits.
//
// Fields it adds to the ExtractionResult:
//   enqueue_received  accepted enqueue events
//   enqueue_invalid   of which had no usable target (empty or not a string)
//   enqueued          [{target, params, source?, category?, event_id}], in event order
//   enqueued_omitted  usable requests left out by max_tasks / max_bytes
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>

#include "quarry/event.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal {

class EnqueueCollector {
 public:
  explicit EnqueueCollector(CollectEnqueuedParams caps) : caps_(caps) {}

  // Called on the run's ingestion thread for every accepted event.
  void OnEvent(const Event& event);
  // Adds the fields above to `result` (an object; anything else is left alone).
  void AddTo(nlohmann::json* result) const;
  // Requests left out by the caps (the workflow counts them as skipped).
  int64_t omitted() const;

 private:
  CollectEnqueuedParams caps_;
  mutable std::mutex mu_;
  int64_t received_ = 0;
  int64_t invalid_ = 0;
  int64_t omitted_ = 0;
  int64_t bytes_ = 0;
  nlohmann::json tasks_ = nlohmann::json::array();
};

}  // namespace quarry::temporal
