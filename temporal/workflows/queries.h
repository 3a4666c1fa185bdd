// Queries every workflow type answers (docs/temporal.md, "Signals and queries"), on the state a
// replay of its history left:
//   progress       the workflow's Progress() (attempts and run id; a batch's counts...)
//   __stack_trace  the built-in query of the Web UI and `temporal workflow stack`: text naming
//                  what the workflow waits on (its open activities, timers and child workflows)
// Any other name fails like the SDKs' unknown query: "unknown queryType <name>.
// KnownQueryTypes=[__stack_trace progress]".
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "workflows/replay.h"

namespace quarry::temporal {

struct QueryAnswer {
  bool ok = false;
  nlohmann::json result;  // ok
  std::string error;      // !ok
};

QueryAnswer AnswerQuery(const ReplayResult& replay, const std::string& workflow_type,
                        const std::string& query_type);

}  // namespace quarry::temporal
