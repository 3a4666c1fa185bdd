// The runtime outcome decision of executor-contract.md §17 as a pure function of what the run
// observed, so every row of the table is unit-tested without a process.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "process/subprocess.h"
#include "quarry/event.h"
#include "quarry/run/run_result.h"
#include "run/ingestor.h"

namespace quarry::run {

// The first abnormal cause observed (§17 rules 1–3f); kNone when the run ended normally.
enum class AbnormalCause {
  kNone,
  kProbeFailed,  // rule 1 (D7)
  kStartFailed,  // rule 2
  kTimeout,      // 3a
  kCancelled,    // 3b
  kPolicy,       // 3c
  kVersion,      // 3d
  kStream,       // 3e (frames, decode, validation, seq, artifacts, file_write)
  kExitTimeout,  // 3f
};

struct OutcomeInputs {
  AbnormalCause cause = AbnormalCause::kNone;
  std::string cause_message;
  std::optional<process::ExitStatus> exit;  // nullopt: not reaped (rule 4)
  std::string reap_error;
  std::optional<std::string> flush_error;  // rule 5
  const TerminalInfo* terminal = nullptr;
  const RunResultFrame* run_result = nullptr;
};

struct OutcomeDecision {
  Outcome outcome = Outcome::kExecutorCrash;
  std::string message;
  std::optional<std::string> error_type;
  std::optional<std::string> stack;
  std::vector<std::string> warnings;  // run_result disagreements, to log
};

OutcomeDecision DecideOutcome(const OutcomeInputs& in);

}  // namespace quarry::run
