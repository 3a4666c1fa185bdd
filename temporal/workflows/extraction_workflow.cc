#include "workflows/extraction_workflow.h"

#include <vector>

#include "workflows/extraction_params.h"
#include "workflows/run_id.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

std::string AttemptActivityId(int64_t n) { return "attempt-" + std::to_string(n); }
std::string BackoffTimerId(int64_t n) { return "backoff-" + std::to_string(n); }
constexpr char kNotifyActivityId[] = "notify";

// Outcome names recorded in `attempts` for results that did not come from our activity.
constexpr char kOutcomeTimeout[] = "activity_timeout";
constexpr char kOutcomeCanceled[] = "canceled";

class ExtractionWorkflow : public Workflow {
 public:
  void OnStart(WorkflowContext& ctx) override {
    const StartInfo& info = ctx.info();
    if (!info.input_error.empty()) return FailConfig(ctx, "workflow input: " + info.input_error);
    if (!info.input) return FailConfig(ctx, "workflow input is missing (ExtractionWorkflowParams)");
    auto params = ParseExtractionWorkflowParams(*info.input);
    if (!params.ok()) return FailConfig(ctx, params.status().message());
    params_ = std::move(*params);
    job_id_ = params_.run_template.value("job_id", std::string());
    if (job_id_.empty()) job_id_ = info.workflow_id;
    ScheduleAttempt(ctx, 1);
  }

  void OnActivityResolved(WorkflowContext& ctx, const std::string& activity_id,
                          const ActivityResolution& r) override {
    if (activity_id == kNotifyActivityId) return Finish(ctx);
    if (activity_id != AttemptActivityId(attempt_) || phase_ != Phase::kRunning) return;

    const std::string run_id = run_ids_.back();
    json attempt_entry = {{"run_id", run_id}, {"attempt", attempt_}};
    last_failure_.reset();
    last_result_ = json();
    bool retryable = false;
    switch (r.kind) {
      case ActivityResolution::Kind::kCompleted:
        last_result_ = r.result.value_or(json());
        attempt_entry["outcome"] = last_result_.is_object()
                                       ? last_result_.value("outcome", std::string("success"))
                                       : std::string("success");
        break;
      case ActivityResolution::Kind::kFailed:
        last_failure_ = r.failure;
        if (r.view.details && r.view.details->is_object()) last_result_ = *r.view.details;
        attempt_entry["outcome"] = last_result_.is_object() && last_result_.contains("outcome")
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
        attempt_entry["outcome"] = kOutcomeTimeout;
        attempt_entry["timeout_type"] = r.view.type;
        retryable = true;
        failure_type_ = "ACTIVITY_TIMEOUT";
        failure_message_ = "activity timed out (" + r.view.type + ")";
        failure_non_retryable_ = false;
        break;
      case ActivityResolution::Kind::kCanceled:
        attempt_entry["outcome"] = kOutcomeCanceled;
        if (r.view.details && r.view.details->is_object()) last_result_ = *r.view.details;
        failure_type_ = "CANCELED";
        failure_message_ = "activity canceled";
        failure_non_retryable_ = true;
        break;
    }
    attempts_.push_back(std::move(attempt_entry));

    if (cancel_requested_) return ctx.CancelWorkflow(Summary());
    if (r.kind == ActivityResolution::Kind::kCompleted) {
      succeeded_ = true;
      return NotifyOrFinish(ctx);
    }
    if (retryable && attempt_ < params_.retry.max_attempts) {
      phase_ = Phase::kBackoff;
      ctx.StartTimer(BackoffTimerId(attempt_ + 1), BackoffBefore(params_.retry, attempt_ + 1));
      return;
    }
    NotifyOrFinish(ctx);
  }

  void OnTimerFired(WorkflowContext& ctx, const std::string& timer_id) override {
    if (phase_ != Phase::kBackoff || timer_id != BackoffTimerId(attempt_ + 1)) return;
    ScheduleAttempt(ctx, attempt_ + 1);
  }

  void OnCancelRequested(WorkflowContext& ctx) override {
    if (cancel_requested_) return;
    cancel_requested_ = true;
    switch (phase_) {
      case Phase::kRunning:
        ctx.RequestCancelActivity(AttemptActivityId(attempt_));
        return;
      case Phase::kNotifying:
        ctx.RequestCancelActivity(kNotifyActivityId);
        return;
      case Phase::kBackoff:
        ctx.CancelTimer(BackoffTimerId(attempt_ + 1));
        ctx.CancelWorkflow(Summary());
        return;
      case Phase::kIdle:
        ctx.CancelWorkflow(Summary());
        return;
    }
  }

 private:
  enum class Phase { kIdle, kRunning, kBackoff, kNotifying };

  void FailConfig(WorkflowContext& ctx, const std::string& message) {
    ctx.Fail(ToFailure({kConfigError, message, /*non_retryable=*/true, std::nullopt}));
  }

  void ScheduleAttempt(WorkflowContext& ctx, int64_t n) {
    attempt_ = n;
    phase_ = Phase::kRunning;
    json input = params_.run_template;
    input["run_id"] = AttemptRunId(ctx.info().run_id, n);
    input["attempt"] = n;
    input["job_id"] = job_id_;
    if (n > 1) input["parent_run_id"] = run_ids_.back();
    run_ids_.push_back(input["run_id"].get<std::string>());

    ActivityOptions o;
    o.activity_id = AttemptActivityId(n);
    o.activity_type = kExtractionActivity;
    o.task_queue = ctx.info().task_queue;
    o.input = std::move(input);
    o.start_to_close = params_.activity.start_to_close;
    o.heartbeat = params_.activity.heartbeat;
    o.schedule_to_start = params_.activity.schedule_to_start;
    o.maximum_attempts = 1;  // retries are ours: every attempt gets its own run id
    ctx.ScheduleActivity(o);
  }

  json Summary() const {
    json s = {{"attempts", attempts_}};
    s["final"] = last_result_;
    return s;
  }

  void NotifyOrFinish(WorkflowContext& ctx) {
    if (!params_.notify) return Finish(ctx);
    phase_ = Phase::kNotifying;
    json body = Summary();
    body["workflow_id"] = ctx.info().workflow_id;
    body["status"] = succeeded_ ? "completed" : "failed";
    if (!succeeded_) body["failure"] = {{"type", failure_type_}, {"message", failure_message_}};
    ActivityOptions o;
    o.activity_id = kNotifyActivityId;
    o.activity_type = kNotifyActivity;
    o.task_queue = ctx.info().task_queue;
    o.input = {{"url", params_.notify->url}, {"headers", params_.notify->headers}, {"body", body}};
    o.start_to_close = std::chrono::seconds(30);
    o.schedule_to_start = params_.activity.schedule_to_start;
    // Delivery is at least once: the notification retries on its own, with backoff.
    o.maximum_attempts = 10;
    o.retry_initial_interval = std::chrono::seconds(1);
    ctx.ScheduleActivity(o);
  }

  void Finish(WorkflowContext& ctx) {
    if (cancel_requested_) return ctx.CancelWorkflow(Summary());
    if (succeeded_) return ctx.Complete(Summary());
    const int64_t n = attempt_;
    std::string message = "attempt " + std::to_string(n) + " of " +
                          std::to_string(params_.retry.max_attempts) + ": " + failure_message_;
    if (!failure_non_retryable_ && n >= params_.retry.max_attempts) {
      message += " (attempts exhausted)";
    }
    auto f = ToFailure({failure_type_, message, failure_non_retryable_, Summary()});
    if (last_failure_) *f.mutable_cause() = *last_failure_;
    ctx.Fail(f);
  }

  ExtractionWorkflowParams params_;
  std::string job_id_;
  Phase phase_ = Phase::kIdle;
  int64_t attempt_ = 0;
  std::vector<std::string> run_ids_;
  json attempts_ = json::array();
  json last_result_;
  std::optional<failure_pb::Failure> last_failure_;
  std::string failure_type_;
  std::string failure_message_;
  bool failure_non_retryable_ = false;
  bool succeeded_ = false;
  bool cancel_requested_ = false;
};

}  // namespace

std::unique_ptr<Workflow> NewExtractionWorkflow() { return std::make_unique<ExtractionWorkflow>(); }

std::unique_ptr<Workflow> CreateWorkflow(const std::string& workflow_type) {
  if (workflow_type == kExtractionWorkflow) return NewExtractionWorkflow();
  return nullptr;
}

}  // namespace quarry::temporal
