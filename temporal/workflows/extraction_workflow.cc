#include "workflows/extraction_workflow.h"

#include "quarry/json/parse.h"

#include <optional>

#include "workflows/extraction_params.h"
#include "workflows/notify.h"
#include "workflows/run_attempts.h"
#include "workflows/workflow_input.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

class ExtractionWorkflow : public Workflow {
 public:
  void OnStart(WorkflowContext& ctx) override {
    const StartInfo& info = ctx.info();
    auto params = ParseInputOrFail<ExtractionWorkflowParams>(ctx, "ExtractionWorkflowParams",
                                                             ParseExtractionWorkflowParams);
    if (!params) return;
    params_ = std::move(*params);
    std::string job_id = ::quarry::json::StringOr(params_.run_template, "job_id", "");
    if (job_id.empty()) job_id = info.workflow_id;
    run_.emplace("", info.run_id, params_.run_template, job_id, &params_.retry, &params_.activity);
    run_->Start(ctx);
  }

  void OnActivityResolved(WorkflowContext& ctx, const std::string& activity_id,
                          const ActivityResolution& r) override {
    if (activity_id == kNotifyActivityId) return Finish(ctx);
    if (!run_ || !run_->IsCurrentActivity(activity_id)) return;
    switch (run_->OnActivityResolved(ctx, r)) {
      case RunAttempts::State::kCanceled:
        return ctx.CancelWorkflow(Summary());
      case RunAttempts::State::kSucceeded:
      case RunAttempts::State::kFailed:
        return NotifyOrFinish(ctx);
      default:
        return;  // backing off
    }
  }

  void OnTimerFired(WorkflowContext& ctx, const std::string& timer_id) override {
    if (run_ && run_->IsCurrentTimer(timer_id)) run_->OnTimerFired(ctx);
  }

  void OnCancelRequested(WorkflowContext& ctx) override {
    if (cancel_requested_) return;
    cancel_requested_ = true;
    if (notifying_) return ctx.RequestCancelActivity(kNotifyActivityId);
    if (!run_ || run_->RequestCancel(ctx)) ctx.CancelWorkflow(Summary());
  }

  json Progress() const override {
    if (!run_) return {{"state", "idle"}, {"attempts", 0}, {"run_id", ""}, {"events_persisted", 0}};
    return run_->Progress();
  }

 private:
  json Summary() const {
    json s = {{"attempts", run_ ? run_->attempts() : json::array()}};
    s["final"] = run_ ? run_->last_result() : json();
    return s;
  }

  bool succeeded() const { return run_ && run_->state() == RunAttempts::State::kSucceeded; }

  void NotifyOrFinish(WorkflowContext& ctx) {
    if (!params_.notify) return Finish(ctx);
    notifying_ = true;
    json body = Summary();
    body["workflow_id"] = ctx.info().workflow_id;
    body["status"] = succeeded() ? "completed" : "failed";
    if (!succeeded()) {
      body["failure"] = {{"type", run_->failure_type()}, {"message", run_->failure_message()}};
    }
    ScheduleNotify(ctx, *params_.notify, params_.activity, std::move(body));
  }

  void Finish(WorkflowContext& ctx) {
    if (cancel_requested_) return ctx.CancelWorkflow(Summary());
    if (succeeded()) return ctx.Complete(Summary());
    const int64_t n = run_->attempt();
    std::string message = "attempt " + std::to_string(n) + " of " +
                          std::to_string(params_.retry.max_attempts) + ": " +
                          run_->failure_message();
    if (!run_->failure_non_retryable() && n >= params_.retry.max_attempts) {
      message += " (attempts exhausted)";
    }
    auto f = ToFailure({run_->failure_type(), message, run_->failure_non_retryable(), Summary()});
    if (run_->last_failure()) *f.mutable_cause() = *run_->last_failure();
    ctx.Fail(f);
  }

  ExtractionWorkflowParams params_;
  std::optional<RunAttempts> run_;
  bool notifying_ = false;
  bool cancel_requested_ = false;
};

}  // namespace

std::unique_ptr<Workflow> NewExtractionWorkflow() { return std::make_unique<ExtractionWorkflow>(); }

}  // namespace quarry::temporal
