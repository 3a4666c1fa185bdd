#include "quarry/run/run_config.h"
#include "quarry/run/run_result.h"

namespace quarry::run {

Status ValidateRunMeta(const RunMeta& m) {
  if (m.run_id.empty()) return InvalidArgumentError("run_id must not be empty");
  if (m.attempt < 1) {
    return InvalidArgumentError("attempt must be >= 1, got " + std::to_string(m.attempt));
  }
  bool has_parent = m.parent_run_id && !m.parent_run_id->empty();
  if (m.attempt == 1 && has_parent) {
    return InvalidArgumentError("attempt 1 must not have a parent run id (--parent-run-id)");
  }
  if (m.attempt > 1 && !has_parent) {
    return InvalidArgumentError("attempt " + std::to_string(m.attempt) +
                                " requires --parent-run-id (the previous attempt's run id)");
  }
  return Status::Ok();
}

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kScriptError:
      return "script_error";
    case Outcome::kExecutorCrash:
      return "executor_crash";
    case Outcome::kPolicyFailure:
      return "policy_failure";
    case Outcome::kVersionMismatch:
      return "version_mismatch";
  }
  return "executor_crash";
}

int OutcomeExitCode(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return 0;
    case Outcome::kScriptError:
      return 1;
    case Outcome::kExecutorCrash:
      return 2;
    case Outcome::kPolicyFailure:
    case Outcome::kVersionMismatch:
      return 3;
  }
  return 2;
}

}  // namespace quarry::run
