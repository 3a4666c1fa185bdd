// How a closed QuarryExtractionWorkflow is shown by `quarry-temporal result` and `start --wait`:
// a JSON document and the exit code `quarry run` would have given for the same outcome
// (0 success, 1 script error, 2 executor crash / timeout / cancellation / invalid input,
// 3 policy failure or version mismatch). A completed batch gives 0 when every run succeeded and
// 1 when its aggregate counts failed runs.
#pragma once

#include <nlohmann/json.hpp>

#include "temporal/api/history/v1/message.pb.h"

namespace quarry::temporal {

struct ClosedWorkflowView {
  nlohmann::json output;  // {"status": "completed"|"failed"|"canceled"|"terminated"|..., ...}
  int exit_code = 2;
};

ClosedWorkflowView ViewCloseEvent(const ::temporal::api::history::v1::HistoryEvent& event);

// The `quarry run` exit code of an ExtractionResult outcome name or ApplicationFailure type.
int ExitCodeForOutcome(const std::string& outcome_or_type);

}  // namespace quarry::temporal
