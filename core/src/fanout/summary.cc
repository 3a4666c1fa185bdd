#include <string>

#include "quarry/duration.h"
#include "quarry/fanout/operator.h"

namespace quarry::fanout {
namespace {

std::string Label(const char* label) {
  std::string out = label;
  out.resize(18, ' ');
  return out;
}

}  // namespace

std::string FormatSummary(const Summary& s) {
  uint64_t succeeded = 0;
  for (const ChildRun& r : s.runs) succeeded += r.result.outcome == run::Outcome::kSuccess;
  const uint64_t total = s.runs.size();
  std::string out = "=== Fan-Out Summary ===\n";
  out += Label("Child Runs:") + std::to_string(total) + " total, " + std::to_string(succeeded) +
         " succeeded, " + std::to_string(total - succeeded) + " failed\n";
  out += Label("Enqueue Events:") + std::to_string(s.received) + " received, " +
         std::to_string(s.deduped) + " deduped, " + std::to_string(s.skipped) + " skipped\n";
  if (s.child_retries > 0) {
    out += Label("Child Retries:") + std::to_string(s.retries) + " retries, " +
           std::to_string(s.exhausted) + " tasks failed on every attempt\n";
  }
  if (s.resumed) {
    uint64_t earlier = 0;
    for (const ChildRun& r : s.runs) earlier += r.earlier;
    out += Label("Resumed:") + std::to_string(earlier) +
           " child runs ended in earlier invocations (counted above), " +
           std::to_string(s.rerun_interrupted) +
           " interrupted tasks run again; enqueue events counted in this invocation only\n";
  }
  if (!s.runs.empty()) {
    out += "--- Child Run Results ---\n";
    for (const ChildRun& r : s.runs) {
      out += "  " + r.attempt.run_id +
             ": outcome=" + std::string(run::OutcomeName(r.result.outcome)) +
             ", events=" + std::to_string(r.result.events) +
             ", duration=" + FormatDuration(std::chrono::milliseconds(r.result.duration_ms));
      if (r.attempt.attempt > 1 || r.attempt.parent_run_id) {
        out += ", attempt=" + std::to_string(r.attempt.attempt);
        if (r.attempt.parent_run_id) out += ", parent_run_id=" + *r.attempt.parent_run_id;
      }
      if (r.earlier) out += ", earlier invocation";
      out += "\n";
    }
  }
  return out;
}

}  // namespace quarry::fanout
