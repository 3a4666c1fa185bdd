#include "workflows/close_event.h"

#include "quarry/json/parse.h"

#include <algorithm>
#include <cctype>

#include "client/failure.h"
#include "client/payload.h"
#include "temporal/api/enums/v1/event_type.pb.h"

namespace quarry::temporal {
namespace {

namespace enums = ::temporal::api::enums::v1;
using nlohmann::json;

json FailureJson(const failure_pb::Failure& f) {
  FailureView v = ViewFailure(f);
  json j = {{"message", f.message()}};
  if (v.kind == FailureView::Kind::kApplication) {
    j["type"] = v.type;
    j["non_retryable"] = v.non_retryable;
  } else if (v.kind == FailureView::Kind::kTimeout) {
    j["timeout_type"] = v.type;
  }
  if (v.details) j["details"] = *v.details;
  if (f.has_cause()) j["cause"] = FailureJson(f.cause());
  return j;
}

json FirstPayload(const common_pb::Payloads& payloads) {
  auto v = DecodeSingleArgument(payloads);
  if (!v.ok()) return json{{"undecodable", v.status().message()}};
  return v->value_or(json());
}

}  // namespace

int ExitCodeForOutcome(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "success") return 0;
  if (n == "script_error") return 1;
  if (n == "policy_failure" || n == "version_mismatch") return 3;
  return 2;
}

ClosedWorkflowView ViewCloseEvent(const ::temporal::api::history::v1::HistoryEvent& e) {
  ClosedWorkflowView v;
  switch (e.event_type()) {
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
      json result = FirstPayload(e.workflow_execution_completed_event_attributes().result());
      v.output = {{"status", "completed"}, {"result", result}};
      if (result.is_object() && result.contains("total") && result.contains("failed")) {
        // A batch aggregate: its runs either all succeeded or some are listed as failed.
        v.exit_code =
            result["failed"].is_number_integer() && result["failed"].get<int64_t>() == 0 ? 0 : 1;
        break;
      }
      std::string outcome = "success";
      if (result.is_object() && result.contains("final")) {
        outcome = ::quarry::json::StringOr(result["final"], "outcome", outcome);
      }
      v.exit_code = ExitCodeForOutcome(outcome);
      break;
    }
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
      const auto& f = e.workflow_execution_failed_event_attributes().failure();
      v.output = {{"status", "failed"}, {"failure", FailureJson(f)}};
      FailureView fv = ViewFailure(f);
      v.exit_code = fv.kind == FailureView::Kind::kApplication ? ExitCodeForOutcome(fv.type) : 2;
      break;
    }
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      v.output = {
          {"status", "canceled"},
          {"details", FirstPayload(e.workflow_execution_canceled_event_attributes().details())}};
      break;
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      v.output = {{"status", "terminated"},
                  {"reason", e.workflow_execution_terminated_event_attributes().reason()}};
      break;
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      v.output = {{"status", "timed_out"}};
      break;
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
      v.output = {
          {"status", "continued_as_new"},
          {"new_run_id",
           e.workflow_execution_continued_as_new_event_attributes().new_execution_run_id()}};
      break;
    default:
      v.output = {{"status", "unknown"}};
      break;
  }
  return v;
}

}  // namespace quarry::temporal
