#include "workflows/queries.h"

namespace quarry::temporal {

QueryAnswer AnswerQuery(const ReplayResult& replay, const std::string& workflow_type,
                        const std::string& query_type) {
  QueryAnswer a;
  if (replay.kind != ReplayResult::Kind::kCommands || !replay.workflow) {
    a.error = "cannot answer " + query_type + ": " +
              (replay.message.empty() ? std::string("the history did not replay") : replay.message);
    return a;
  }
  if (query_type == "progress") {
    a.ok = true;
    a.result = replay.workflow->Progress();
    return a;
  }
  if (query_type == "__stack_trace") {
    std::string text = workflow_type;
    if (replay.waiting_on.empty()) {
      text += " waits on nothing: it is closed or deciding its next step\n";
    } else {
      text += " waits on:\n";
      for (const auto& w : replay.waiting_on) text += "  " + w + "\n";
    }
    a.ok = true;
    a.result = text;
    return a;
  }
  a.error = "unknown queryType " + query_type + ". KnownQueryTypes=[__stack_trace progress]";
  return a;
}

}  // namespace quarry::temporal
