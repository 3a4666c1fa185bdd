#include "workflows/run_attempts.h"

#include "quarry/json/parse.h"

#include "workflows/run_id.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

// Outcome names recorded in `attempts` for results that did not come from our activity.
constexpr char kOutcomeTimeout[] = "activity_timeout";
constexpr char kOutcomeCanceled[] = "canceled";

}  // namespace

RunAttempts::RunAttempts(std::string id_prefix, std::string run_id_seed, json run_template,
                         std::string job_id, const WorkflowRetry* retry,
                         const ActivityTimeouts* timeouts)
    : prefix_(std::move(id_prefix)),
      seed_(std::move(run_id_seed)),
      template_(std::move(run_template)),
      job_id_(std::move(job_id)),
      retry_(retry),
      timeouts_(timeouts) {}

std::string RunAttempts::ActivityId(int64_t n) const {
  return prefix_ + "attempt-" + std::to_string(n);
}
std::string RunAttempts::TimerId(int64_t n) const {
  return prefix_ + "backoff-" + std::to_string(n);
}

void RunAttempts::Start(WorkflowContext& ctx) { ScheduleAttempt(ctx, 1); }

bool RunAttempts::IsCurrentActivity(const std::string& activity_id) const {
  return state_ == State::kRunning && activity_id == ActivityId(attempt_);
}

bool RunAttempts::IsCurrentTimer(const std::string& timer_id) const {
  return state_ == State::kBackoff && timer_id == TimerId(attempt_ + 1);
}

std::string RunAttempts::last_outcome() const {
  if (attempts_.empty()) return "";
  const json& o = attempts_.back()["outcome"];
  return o.is_string() ? o.get<std::string>() : o.dump();
}

void RunAttempts::ScheduleAttempt(WorkflowContext& ctx, int64_t n) {
  attempt_ = n;
  state_ = State::kRunning;
  json input = template_;
  input["run_id"] = AttemptRunId(seed_, n);
  input["attempt"] = n;
  input["job_id"] = job_id_;
  if (n > 1) input["parent_run_id"] = run_ids_.back();
  if (n > 1 && resume_.is_object()) input["resume"] = resume_;
  run_ids_.push_back(input["run_id"].get<std::string>());

  ActivityOptions o;
  o.activity_id = ActivityId(n);
  o.activity_type = kExtractionActivity;
  o.task_queue = ctx.info().task_queue;
  o.input = std::move(input);
  o.start_to_close = timeouts_->start_to_close;
  o.heartbeat = timeouts_->heartbeat;
  o.schedule_to_start = timeouts_->schedule_to_start;
  o.maximum_attempts = 1;  // retries are ours: every attempt gets its own run id
  ctx.ScheduleActivity(o);
}

RunAttempts::State RunAttempts::OnActivityResolved(WorkflowContext& ctx,
                                                   const ActivityResolution& r) {
  // After a reset the attempts before the reset point ran under ids derived from the old
  // execution: history's value wins, so the next attempt's parent_run_id names a run in Lode.
  if (!r.scheduled_run_id.empty() && !run_ids_.empty()) run_ids_.back() = r.scheduled_run_id;
  json entry = {{"run_id", run_id()}, {"attempt", attempt_}};
  last_failure_.reset();
  last_result_ = json();
  bool retryable = false;
  switch (r.kind) {
    case ActivityResolution::Kind::kCompleted:
      last_result_ = r.result.value_or(json());
      entry["outcome"] = ::quarry::json::StringOr(last_result_, "outcome", "success");
      break;
    case ActivityResolution::Kind::kFailed:
      last_failure_ = r.failure;
      if (r.view.details && r.view.details->is_object()) last_result_ = *r.view.details;
      entry["outcome"] = last_result_.is_object() && last_result_.contains("outcome")
                             ? last_result_["outcome"]
                             : json(r.view.type.empty() ? "failed" : r.view.type);
      retryable = r.view.kind == FailureView::Kind::kApplication
                      ? !r.view.non_retryable
                      : r.view.kind != FailureView::Kind::kCanceled;
      failure_type_ = r.view.type.empty() ? "ACTIVITY_FAILURE" : r.view.type;
      failure_message_ = r.view.message;
      failure_non_retryable_ = !retryable;
      break;
    case ActivityResolution::Kind::kTimedOut:
      last_failure_ = r.failure;
      entry["outcome"] = kOutcomeTimeout;
      entry["timeout_type"] = r.view.type;
      retryable = true;
      failure_type_ = "ACTIVITY_TIMEOUT";
      failure_message_ = "activity timed out (" + r.view.type + ")";
      failure_non_retryable_ = false;
      break;
    case ActivityResolution::Kind::kCanceled:
      entry["outcome"] = kOutcomeCanceled;
      if (r.view.details && r.view.details->is_object()) last_result_ = *r.view.details;
      failure_type_ = "CANCELED";
      failure_message_ = "activity canceled";
      failure_non_retryable_ = true;
      break;
  }
  attempts_.push_back(std::move(entry));
  // A timed-out attempt says how far it got in its last heartbeat; the others in their result.
  const json* progress = last_result_.is_object() ? &last_result_ : nullptr;
  if (r.kind == ActivityResolution::Kind::kTimedOut && r.view.details &&
      r.view.details->is_object()) {
    progress = &*r.view.details;
  }
  if (progress && progress->contains("last_checkpoint_id") &&
      (*progress)["last_checkpoint_id"].is_string()) {
    resume_ = {{"checkpoint_id", (*progress)["last_checkpoint_id"]}, {"run_id", run_id()}};
  }
  if (last_result_.is_object()) {
    events_persisted_ += ::quarry::json::IntOr(last_result_, "events_persisted", 0);
  }

  if (cancel_requested_) {
    state_ = State::kCanceled;
  } else if (r.kind == ActivityResolution::Kind::kCompleted) {
    state_ = State::kSucceeded;
  } else if (retryable && attempt_ < retry_->max_attempts) {
    state_ = State::kBackoff;
    ctx.StartTimer(TimerId(attempt_ + 1), BackoffBefore(*retry_, attempt_ + 1));
  } else {
    state_ = State::kFailed;
  }
  return state_;
}

void RunAttempts::OnTimerFired(WorkflowContext& ctx) { ScheduleAttempt(ctx, attempt_ + 1); }

bool RunAttempts::RequestCancel(WorkflowContext& ctx) {
  if (done() || cancel_requested_) return done();
  cancel_requested_ = true;
  switch (state_) {
    case State::kRunning:
      ctx.RequestCancelActivity(ActivityId(attempt_));
      return false;
    case State::kBackoff:
      ctx.CancelTimer(TimerId(attempt_ + 1));
      state_ = State::kCanceled;
      return true;
    default:
      state_ = State::kCanceled;
      return true;
  }
}

std::string_view RunAttempts::StateName(State s) {
  switch (s) {
    case State::kIdle:
      return "idle";
    case State::kRunning:
      return "running";
    case State::kBackoff:
      return "backoff";
    case State::kSucceeded:
      return "succeeded";
    case State::kFailed:
      return "failed";
    case State::kCanceled:
      return "canceled";
  }
  return "idle";
}

json RunAttempts::Progress() const {
  return {{"state", StateName(state_)},
          {"attempts", attempt_},
          {"run_id", run_id()},
          {"events_persisted", events_persisted_}};
}

}  // namespace quarry::temporal
