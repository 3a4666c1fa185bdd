#include "workflows/batch_workflow.h"

#include <set>
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

  // pause / resume / set_max_parallel / cancel_run (docs/temporal.md, "Signals and queries").
  // Workflow code cannot answer a signal, so a bad argument is dropped and named in `progress`
  // (`last_signal_error`); the update set_max_parallel is the validated form.
  bool OnSignal(WorkflowContext& ctx, const std::string& name,
                const std::optional<json>& input) override {
    if (name == "pause") {
      paused_ = true;
    } else if (name == "resume") {
      paused_ = false;
      StartMore(ctx);
      FinishIfDone(ctx);
    } else if (name == "set_max_parallel") {
      auto n = IntArgument(input, "max_parallel");
      if (!n || *n < 1 || *n > kMaxRunsPerWorkflow) {
        signal_error_ = "set_max_parallel needs an integer in 1.." +
                        std::to_string(kMaxRunsPerWorkflow) + " (or {\"max_parallel\": n})";
        return true;
      }
      params_.max_parallel = *n;
      StartMore(ctx);
    } else if (name == "cancel_run") {
      auto index = IntArgument(input, "index");
      const int64_t local = index ? *index - params_.first_index : -1;
      if (!index || local < 0 || (Total() > 0 && local >= Total())) {
        signal_error_ = "cancel_run needs {\"index\": i} naming a run of this workflow";
        return true;
      }
      CancelRun(ctx, local);
    } else {
      return false;
    }
    return true;
  }
  // The validated form of the signal: rejected with the reason, or answered with the change.
  UpdateOutcome OnUpdate(WorkflowContext& ctx, const std::string& name,
                         const std::optional<json>& input) override {
    if (name != "set_max_parallel") {
      return {false, nullptr, "unknown update " + name + ". KnownUpdates=[set_max_parallel]"};
    }
    auto n = IntArgument(input, "max_parallel");
    if (!n || *n < 1 || *n > kMaxRunsPerWorkflow) {
      return {false, nullptr,
              "set_max_parallel needs an integer in 1.." + std::to_string(kMaxRunsPerWorkflow) +
                  " (or {\"max_parallel\": n})"};
    }
    const int64_t previous = params_.max_parallel;
    params_.max_parallel = *n;
    StartMore(ctx);
    return {true, {{"max_parallel", *n}, {"previous", previous}}, ""};
  }

  std::vector<std::string> SignalNames() const override {
    return {"pause", "resume", "set_max_parallel", "cancel_run"};
  }

  json Progress() const override {
    json a = Aggregate();
    a.erase("failed_runs");
    a.erase("failed_runs_truncated");
    a["done"] =
        a["succeeded"].get<int64_t>() + a["failed"].get<int64_t>() + a["canceled"].get<int64_t>();
    a["running"] = in_flight_;
    a["queued"] = Total() - next_;
    a["paused"] = paused_;
    a["max_parallel"] = params_.max_parallel;
    if (reading_) a["reading_runs"] = true;
    if (!signal_error_.empty()) a["last_signal_error"] = signal_error_;
    return a;
  }

 private:
  static std::optional<int64_t> IntArgument(const std::optional<json>& input, const char* key) {
    if (!input) return std::nullopt;
    if (input->is_number_integer()) return input->get<int64_t>();
    if (input->is_object() && input->contains(key) && (*input)[key].is_number_integer()) {
      return (*input)[key].get<int64_t>();
    }
    return std::nullopt;
  }

  void CancelRun(WorkflowContext& ctx, int64_t local) {
    if (local >= next_) {  // not started yet (or the runs are still being read)
      cancel_before_start_.insert(local);
      StartMore(ctx);
      FinishIfDone(ctx);
      return;
    }
    auto& run = runs_[local];
    if (run && !run->done() && run->RequestCancel(ctx)) RunEnded(ctx);
  }

  void FinishIfDone(WorkflowContext& ctx) {
    if (!reading_ && !notifying_ && !cancel_requested_ && Total() > 0 && in_flight_ == 0 &&
        next_ == Total()) {
      NotifyOrFinish(ctx);
    }
  }

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
    while (!cancel_requested_ && !paused_ && in_flight_ < params_.max_parallel && next_ < Total()) {
      const int64_t local = next_++;
      const int64_t index = params_.first_index + local;
      if (cancel_before_start_.count(local)) {
        aggregate_.AddCanceled();
        continue;
      }
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
  bool paused_ = false;
  std::set<int64_t> cancel_before_start_;  // local indices cancelled by signal before they ran
  std::string signal_error_;
};

}  // namespace

std::unique_ptr<Workflow> NewBatchWorkflow(BatchKind kind) {
  return std::make_unique<BatchWorkflow>(kind);
}

}  // namespace quarry::temporal
