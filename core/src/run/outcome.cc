#include "run/outcome.h"

namespace quarry::run {
namespace {

Outcome FromRunResultStatus(std::string_view status) {
  if (status == "completed") return Outcome::kSuccess;
  if (status == "error") return Outcome::kScriptError;
  return Outcome::kExecutorCrash;
}

template <typename T>
std::optional<T> First(const std::optional<T>& a, const std::optional<T>& b) {
  return a ? a : b;
}

}  // namespace

OutcomeDecision DecideOutcome(const OutcomeInputs& in) {
  OutcomeDecision d;
  const RunResultFrame* rr = in.run_result;
  switch (in.cause) {
    case AbnormalCause::kProbeFailed:
    case AbnormalCause::kStartFailed:
    case AbnormalCause::kTimeout:
    case AbnormalCause::kCancelled:
    case AbnormalCause::kStream:
    case AbnormalCause::kExitTimeout:
      d.outcome = Outcome::kExecutorCrash;
      d.message = in.cause_message;
      return d;
    case AbnormalCause::kPolicy:
      d.outcome = Outcome::kPolicyFailure;
      d.message = in.cause_message;
      return d;
    case AbnormalCause::kVersion:
      d.outcome = Outcome::kVersionMismatch;
      d.message = in.cause_message;
      return d;
    case AbnormalCause::kNone:
      break;
  }
  if (!in.exit) {  // rule 4
    d.outcome = Outcome::kExecutorCrash;
    d.message = in.reap_error.empty() ? "failed to reap the executor" : in.reap_error;
    return d;
  }
  if (in.flush_error) {  // rule 5
    d.outcome = Outcome::kPolicyFailure;
    d.message = *in.flush_error;
    return d;
  }
  const process::ExitStatus& exit = *in.exit;
  const std::string terminal = in.terminal ? in.terminal->type : "";
  if (!exit.signalled && exit.code == 0 && terminal == "run_complete") {  // rule 6
    d.outcome = Outcome::kSuccess;
    d.message = rr && rr->message ? *rr->message : "success";
  } else if (!exit.signalled && exit.code == 1 && terminal == "run_error") {  // rule 7
    d.outcome = Outcome::kScriptError;
    d.message = First(rr ? rr->message : std::nullopt, in.terminal->message).value_or("");
    d.error_type = First(rr ? rr->error_type : std::nullopt, in.terminal->error_type);
    d.stack = First(rr ? rr->stack : std::nullopt, in.terminal->stack);
  } else {  // rule 8
    d.outcome = Outcome::kExecutorCrash;
    if (rr && rr->message && !rr->message->empty()) {
      d.message = *rr->message;
      if (rr->error_type) d.error_type = rr->error_type;
      if (rr->stack) d.stack = rr->stack;
    } else if (exit.signalled) {
      d.message = "executor killed by signal " + std::to_string(exit.signal);
    } else if (exit.code == 0) {
      d.message = "executor exited 0 without a run_complete event";
    } else {
      d.message = "executor exited with code " + std::to_string(exit.code);
    }
    if (!exit.signalled && exit.code == 0 && rr && rr->status != "completed") {
      d.message += " (conflict: exit code 0 but run_result status \"" + rr->status + "\")";
    }
  }
  if (d.message.empty()) d.message = std::string(OutcomeName(d.outcome));
  if (rr && FromRunResultStatus(rr->status) != d.outcome) {
    d.warnings.push_back("run_result status \"" + rr->status + "\" disagrees with outcome " +
                         std::string(OutcomeName(d.outcome)));
  }
  return d;
}

}  // namespace quarry::run
