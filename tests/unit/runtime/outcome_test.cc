// The outcome table of executor-contract.md §17, row by row.
#include "run/outcome.h"

#include <gtest/gtest.h>

namespace quarry::run {
namespace {

process::ExitStatus Exited(int code) { return {false, code, 0}; }
process::ExitStatus Killed(int sig) { return {true, 0, sig}; }

TerminalInfo Terminal(const std::string& type) {
  TerminalInfo t;
  t.type = type;
  t.payload_json = "{}";
  return t;
}

RunResultFrame Result(const std::string& status, std::optional<std::string> message) {
  RunResultFrame r;
  r.status = status;
  r.message = std::move(message);
  return r;
}

TEST(OutcomeTest, AbnormalCausesDecideFirst) {
  struct Case {
    AbnormalCause cause;
    Outcome outcome;
  } cases[] = {{AbnormalCause::kProbeFailed, Outcome::kExecutorCrash},
               {AbnormalCause::kStartFailed, Outcome::kExecutorCrash},
               {AbnormalCause::kTimeout, Outcome::kExecutorCrash},
               {AbnormalCause::kCancelled, Outcome::kExecutorCrash},
               {AbnormalCause::kPolicy, Outcome::kPolicyFailure},
               {AbnormalCause::kVersion, Outcome::kVersionMismatch},
               {AbnormalCause::kStream, Outcome::kExecutorCrash},
               {AbnormalCause::kExitTimeout, Outcome::kExecutorCrash}};
  TerminalInfo complete = Terminal("run_complete");
  for (const auto& c : cases) {
    OutcomeInputs in;
    in.cause = c.cause;
    in.cause_message = "because";
    in.exit = Exited(0);
    in.terminal = &complete;  // a terminal does not rescue an abnormal run
    OutcomeDecision d = DecideOutcome(in);
    EXPECT_EQ(d.outcome, c.outcome);
    EXPECT_EQ(d.message, "because");
  }
}

TEST(OutcomeTest, SuccessNeedsExitZeroAndRunComplete) {
  TerminalInfo complete = Terminal("run_complete");
  RunResultFrame rr = Result("completed", "run completed");
  OutcomeInputs in;
  in.exit = Exited(0);
  in.terminal = &complete;
  in.run_result = &rr;
  OutcomeDecision d = DecideOutcome(in);
  EXPECT_EQ(d.outcome, Outcome::kSuccess);
  EXPECT_EQ(d.message, "run completed");
  EXPECT_TRUE(d.warnings.empty());

  in.run_result = nullptr;
  EXPECT_EQ(DecideOutcome(in).message, "success");
}

TEST(OutcomeTest, D11_1_RunResultWithoutTerminalIsACrash) {
  RunResultFrame rr = Result("completed", "run completed");
  OutcomeInputs in;
  in.exit = Exited(0);
  in.run_result = &rr;
  OutcomeDecision d = DecideOutcome(in);
  EXPECT_EQ(d.outcome, Outcome::kExecutorCrash);
  EXPECT_FALSE(d.warnings.empty());

  in.run_result = nullptr;
  EXPECT_EQ(DecideOutcome(in).message, "executor exited 0 without a run_complete event");
}

TEST(OutcomeTest, ScriptErrorTakesFieldsFromRunResultThenPayload) {
  TerminalInfo err = Terminal("run_error");
  err.message = "payload message";
  err.error_type = "script_error";
  err.stack = "payload stack";
  RunResultFrame rr = Result("error", "boom");
  rr.stack = "rr stack";
  OutcomeInputs in;
  in.exit = Exited(1);
  in.terminal = &err;
  in.run_result = &rr;
  OutcomeDecision d = DecideOutcome(in);
  EXPECT_EQ(d.outcome, Outcome::kScriptError);
  EXPECT_EQ(d.message, "boom");
  EXPECT_EQ(d.error_type, "script_error");  // fell back to the payload
  EXPECT_EQ(d.stack, "rr stack");           // D11.2

  in.run_result = nullptr;
  d = DecideOutcome(in);
  EXPECT_EQ(d.message, "payload message");
  EXPECT_EQ(d.stack, "payload stack");
}

TEST(OutcomeTest, MismatchedExitCodesAndSignalsAreCrashes) {
  TerminalInfo err = Terminal("run_error");
  TerminalInfo complete = Terminal("run_complete");
  OutcomeInputs in;
  in.exit = Exited(0);
  in.terminal = &err;
  EXPECT_EQ(DecideOutcome(in).outcome, Outcome::kExecutorCrash);
  in.exit = Exited(1);
  in.terminal = &complete;
  EXPECT_EQ(DecideOutcome(in).outcome, Outcome::kExecutorCrash);
  in.exit = Exited(3);
  in.terminal = nullptr;
  EXPECT_EQ(DecideOutcome(in).message, "executor exited with code 3");
  in.exit = Killed(9);
  EXPECT_EQ(DecideOutcome(in).message, "executor killed by signal 9");
  // D11.4: a load failure's run_result message becomes the run message.
  RunResultFrame rr = Result("crash", "Failed to load script x.js: SyntaxError");
  in.exit = Exited(2);
  in.run_result = &rr;
  EXPECT_EQ(DecideOutcome(in).message, "Failed to load script x.js: SyntaxError");
}

TEST(OutcomeTest, FlushFailureAloneIsPolicyFailureAndReapFailureIsCrash) {
  TerminalInfo complete = Terminal("run_complete");
  OutcomeInputs in;
  in.exit = Exited(0);
  in.terminal = &complete;
  in.flush_error = "disk full";
  OutcomeDecision d = DecideOutcome(in);
  EXPECT_EQ(d.outcome, Outcome::kPolicyFailure);
  EXPECT_EQ(d.message, "disk full");

  OutcomeInputs unreaped;
  unreaped.reap_error = "executor did not exit after SIGKILL";
  EXPECT_EQ(DecideOutcome(unreaped).outcome, Outcome::kExecutorCrash);
}

TEST(OutcomeTest, ExitCodes) {
  EXPECT_EQ(OutcomeExitCode(Outcome::kSuccess), 0);
  EXPECT_EQ(OutcomeExitCode(Outcome::kScriptError), 1);
  EXPECT_EQ(OutcomeExitCode(Outcome::kExecutorCrash), 2);
  EXPECT_EQ(OutcomeExitCode(Outcome::kPolicyFailure), 3);
  EXPECT_EQ(OutcomeExitCode(Outcome::kVersionMismatch), 3);
}

}  // namespace
}  // namespace quarry::run
