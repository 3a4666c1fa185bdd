// One Quarry run inside a workflow, attempt by attempt (../shared/spec/temporal.md §4): each
// attempt is one RunQuarryExtraction activity with maximum_attempts = 1, retryable failures wait
// for a backoff timer and try again, and lineage follows the attempts (attempt n > 1 has
// parent_run_id = the run id of attempt n - 1). QuarryExtractionWorkflow drives one of these;
// BatchExtraction and BatchChunk drive one per run of the batch.
//
// Ids in history, relative to the run's prefix (changing them makes running workflows
// non-deterministic):
//   activity "<prefix>attempt-<n>"  the extraction of attempt n
//   timer    "<prefix>backoff-<n>"  the wait before attempt n
// Run ids: AttemptRunId(<seed>, n), where the seed is the workflow's run id for a single run
// and "<workflow run id>/run-<index>" inside a batch.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/extraction_params.h"
#include "workflows/workflow.h"

namespace quarry::temporal {

class RunAttempts {
 public:
  enum class State { kIdle, kRunning, kBackoff, kSucceeded, kFailed, kCanceled };

  // `run_template` is ExtractionParams without run_id/attempt/parent_run_id; `job_id` is set on
  // every attempt. `retry` and `timeouts` must outlive this object.
  RunAttempts(std::string id_prefix, std::string run_id_seed, nlohmann::json run_template,
              std::string job_id, const WorkflowRetry* retry, const ActivityTimeouts* timeouts);

  void Start(WorkflowContext& ctx);

  // Whether `activity_id` / `timer_id` is this run's current attempt / pending backoff.
  bool IsCurrentActivity(const std::string& activity_id) const;
  bool IsCurrentTimer(const std::string& timer_id) const;

  // The attempt's activity resolved: records it, then starts the backoff timer when the failure
  // is retryable and attempts are left. Returns the new state.
  State OnActivityResolved(WorkflowContext& ctx, const ActivityResolution& resolution);
  // The backoff timer fired: schedules the next attempt.
  void OnTimerFired(WorkflowContext& ctx);
  // Cancels the running attempt (its resolution then ends the run as kCanceled) or the backoff
  // timer (the run ends at once). Returns true when the run has ended.
  bool RequestCancel(WorkflowContext& ctx);

  State state() const { return state_; }
  bool done() const {
    return state_ == State::kSucceeded || state_ == State::kFailed || state_ == State::kCanceled;
  }
  int64_t attempt() const { return attempt_; }
  const std::string& job_id() const { return job_id_; }
  // The run id of the latest attempt; empty before the first.
  std::string run_id() const { return run_ids_.empty() ? std::string() : run_ids_.back(); }
  // [{run_id, attempt, outcome, timeout_type?}] of every resolved attempt.
  const nlohmann::json& attempts() const { return attempts_; }
  // The ExtractionResult of the last attempt (from the result or the failure details); null when
  // the activity gave none (a timeout).
  const nlohmann::json& last_result() const { return last_result_; }
  // The outcome recorded for the last attempt ("success", "script_error", "activity_timeout"...).
  std::string last_outcome() const;

  // The `progress` query's view of this run: {state, attempts, run_id, events_persisted}, the
  // events counting finished attempts only (a running attempt reports its count in its
  // heartbeat details, which workflow code does not see).
  nlohmann::json Progress() const;
  static std::string_view StateName(State s);

  // The failure that ended the run (kFailed, kCanceled).
  const std::string& failure_type() const { return failure_type_; }
  const std::string& failure_message() const { return failure_message_; }
  bool failure_non_retryable() const { return failure_non_retryable_; }
  const std::optional<failure_pb::Failure>& last_failure() const { return last_failure_; }

 private:
  std::string ActivityId(int64_t n) const;
  std::string TimerId(int64_t n) const;
  void ScheduleAttempt(WorkflowContext& ctx, int64_t n);

  std::string prefix_;
  std::string seed_;
  nlohmann::json template_;
  std::string job_id_;
  const WorkflowRetry* retry_;
  const ActivityTimeouts* timeouts_;

  State state_ = State::kIdle;
  bool cancel_requested_ = false;
  int64_t attempt_ = 0;
  std::vector<std::string> run_ids_;
  nlohmann::json attempts_ = nlohmann::json::array();
  nlohmann::json last_result_;
  std::optional<failure_pb::Failure> last_failure_;
  std::string failure_type_;
  std::string failure_message_;
  bool failure_non_retryable_ = false;
  int64_t events_persisted_ = 0;
  // The newest checkpoint any attempt reported (its result, failure details or last heartbeat),
  // with the run that emitted it: the next attempt's `resume` (docs/temporal.md).
  nlohmann::json resume_;
};

}  // namespace quarry::temporal
