#include "workflows/batch_workflow.h"
#include "workflows/run_id.h"

#include "quarry/json/parse.h"

#include <charconv>
#include <optional>
#include <vector>

#include "workflows/batch_aggregate.h"
#include "workflows/notify.h"
#include "workflows/run_attempts.h"
#include "workflows/workflow_input.h"

namespace quarry::temporal {

using nlohmann::json;

void ScheduleReadRuns(WorkflowContext& ctx, const BatchParams& params, int64_t offset,
                      int64_t count) {
  ActivityOptions o;
  o.activity_id = kReadRunsActivityId;
  o.activity_type = kReadRunsActivity;
  o.task_queue = ctx.info().task_queue;
  o.input = {{"runs_file", params.runs_file}, {"runs_offset", offset}, {"runs_count", count}};
  if (!params.runs_file_sha256.empty()) o.input["runs_file_sha256"] = params.runs_file_sha256;
  o.start_to_close = std::chrono::seconds(60);
  o.schedule_to_start = params.activity.schedule_to_start;
  o.maximum_attempts = 3;  // a file system hiccup; a bad file fails non-retryable
  o.retry_initial_interval = std::chrono::seconds(1);
  ctx.ScheduleActivity(o);
}

namespace {

class BatchWorkflow : public Workflow {
 public:
  explicit BatchWorkflow(BatchKind kind) : kind_(kind) {}

  void OnStart(WorkflowContext& ctx) override {
    auto params = ParseInputOrFail<BatchParams>(
        ctx, "batch parameters",
        [&](const nlohmann::json& in) { return ParseBatchParams(in, kind_); });
    if (!params) return;
    params_ = std::move(*params);
    if (params_.job_id_prefix.empty()) params_.job_id_prefix = ctx.info().workflow_id + "/";
    if (params_.runs) return Begin(ctx, *params_.runs);
    reading_ = true;
    ScheduleReadRuns(ctx, params_, params_.runs_offset, params_.runs_count);
  }

  void OnActivityResolved(WorkflowContext& ctx, const std::string& activity_id,
                          const ActivityResolution& r) override {
    if (activity_id == kReadRunsActivityId) return OnRunsRead(ctx, r);
    if (activity_id == kNotifyActivityId) return Finish(ctx);
    RunAttempts* run = RunFor(activity_id);
    if (!run || !run->IsCurrentActivity(activity_id)) return;
    if (run->OnActivityResolved(ctx, r) == RunAttempts::State::kBackoff) return;
    RunEnded(ctx);
  }

  void OnTimerFired(WorkflowContext& ctx, const std::string& timer_id) override {
    RunAttempts* run = RunFor(timer_id);
    if (run && run->IsCurrentTimer(timer_id)) run->OnTimerFired(ctx);
  }

  void OnCancelRequested(WorkflowContext& ctx) override {
    if (cancel_requested_) return;
    cancel_requested_ = true;
    if (notifying_) return ctx.RequestCancelActivity(kNotifyActivityId);
    if (reading_) return ctx.RequestCancelActivity(kReadRunsActivityId);
    for (auto& run : runs_) {
      if (run && !run->done() && run->RequestCancel(ctx)) --in_flight_;
    }
    if (in_flight_ == 0) ctx.CancelWorkflow(Aggregate());
  }

 private:
  void OnRunsRead(WorkflowContext& ctx, const ActivityResolution& r) {
    reading_ = false;
    if (cancel_requested_) return ctx.CancelWorkflow(Aggregate());
    if (r.kind != ActivityResolution::Kind::kCompleted || !r.result ||
        !r.result->contains("runs") || !(*r.result)["runs"].is_array()) {
      std::string why = r.view.message.empty() ? "no runs in its result" : r.view.message;
      return FailConfig(ctx, "reading " + params_.runs_file + ": " + why);
    }
    const json& runs = (*r.result)["runs"];
    if (runs.empty()) return FailConfig(ctx, params_.runs_file + " has no runs in range");
    if (static_cast<int64_t>(runs.size()) > kMaxRunsPerWorkflow) {
      return FailConfig(ctx, params_.runs_file + " has " + std::to_string(runs.size()) +
                                 " runs, over the " + std::to_string(kMaxRunsPerWorkflow) +
                                 " a workflow takes: use LargeBatchExtraction");
    }
    Begin(ctx, runs);
  }

  void Begin(WorkflowContext& ctx, const json& runs) {
    raw_ = runs;
    runs_.resize(raw_.size());
    StartMore(ctx);
    if (aggregate_.done() == Total()) NotifyOrFinish(ctx);  // every run was invalid
  }

  int64_t Total() const { return static_cast<int64_t>(raw_.size()); }

  RunAttempts* RunFor(const std::string& id) {
    auto index = IndexInId("run-", id);
    if (!index) return nullptr;
    const int64_t local = *index - params_.first_index;
    if (local < 0 || local >= Total() || !runs_[local]) return nullptr;
    return &*runs_[local];
  }

  void StartMore(WorkflowContext& ctx) {
    while (!cancel_requested_ && in_flight_ < params_.max_parallel && next_ < Total()) {
      const int64_t local = next_++;
      const int64_t index = params_.first_index + local;
      auto merged = MergeRun(params_.defaults, raw_[local], index);
      if (!merged.ok()) {
        aggregate_.AddFailed({{"index", index},
                              {"job_id", nullptr},
                              {"run_id", nullptr},
                              {"outcome", "config_error"},
                              {"attempts", 0},
                              {"message", merged.status().message()}});
        continue;
      }
      std::string job_id = ::quarry::json::StringOr(*merged, "job_id", "");
      if (job_id.empty()) job_id = params_.job_id_prefix + "run-" + std::to_string(index);
      const std::string prefix = "run-" + std::to_string(index) + "/";
      runs_[local].emplace(prefix, ctx.info().run_id + "/run-" + std::to_string(index),
                           std::move(*merged), job_id, &params_.retry, &params_.activity);
      runs_[local]->Start(ctx);
      ++in_flight_;
    }
  }

  void RunEnded(WorkflowContext& ctx) {
    --in_flight_;
    StartMore(ctx);
    if (cancel_requested_) {
      if (in_flight_ == 0) ctx.CancelWorkflow(Aggregate());
      return;
    }
    if (in_flight_ == 0 && next_ == Total()) NotifyOrFinish(ctx);
  }

  // Computed from the runs rather than kept up to date, so it is the same on every replay path.
  json Aggregate() const {
    BatchAggregate a = aggregate_;
    for (int64_t local = 0; local < Total(); ++local) {
      const auto& run = runs_[local];
      if (!run || !run->done()) continue;
      switch (run->state()) {
        case RunAttempts::State::kSucceeded:
          a.AddSucceeded();
          break;
        case RunAttempts::State::kCanceled:
          a.AddCanceled();
          break;
        default:
          a.AddFailed({{"index", params_.first_index + local},
                       {"job_id", run->job_id()},
                       {"run_id", run->run_id()},
                       {"outcome", run->last_outcome()},
                       {"attempts", run->attempt()},
                       {"message", run->failure_message()}});
      }
    }
    return a.ToJson(Total());
  }

  void NotifyOrFinish(WorkflowContext& ctx) {
    if (!params_.notify) return Finish(ctx);
    notifying_ = true;
    json body = Aggregate();
    body["workflow_id"] = ctx.info().workflow_id;
    body["workflow_type"] = ctx.info().workflow_type;
    body["status"] = "completed";
    ScheduleNotify(ctx, *params_.notify, params_.activity, std::move(body));
  }

  void Finish(WorkflowContext& ctx) {
    if (cancel_requested_) return ctx.CancelWorkflow(Aggregate());
    ctx.Complete(Aggregate());
  }

  BatchKind kind_;
  BatchParams params_;
  json raw_ = json::array();
  std::vector<std::optional<RunAttempts>> runs_;
  BatchAggregate aggregate_;  // runs that never started
  int64_t next_ = 0;
  int64_t in_flight_ = 0;
  bool reading_ = false;
  bool notifying_ = false;
  bool cancel_requested_ = false;
};

}  // namespace

std::unique_ptr<Workflow> NewBatchWorkflow(BatchKind kind) {
  return std::make_unique<BatchWorkflow>(kind);
}

}  // namespace quarry::temporal
