#include "workflows/large_batch_workflow.h"

#include "quarry/json/parse.h"

#include <algorithm>
#include <map>

#include "workflows/batch_aggregate.h"
#include "workflows/batch_params.h"
#include "workflows/batch_workflow.h"
#include "workflows/notify.h"
#include "workflows/workflow_input.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

// Reading a stopped chunk's outcomes from Lode came after LargeBatchExtraction first shipped:
// workflows whose history decided a stopped chunk without it replay that decision unchanged.
constexpr char kChunkOutcomesPatch[] = "chunk-outcomes-from-lode";
constexpr char kContinueAsNewPatch[] = "large-batch-continue-as-new";

class LargeBatchWorkflow : public Workflow {
  // A chunk whose runs' outcomes are being read from Lode.
  struct Recovering {
    int64_t chunk = 0;
    std::string workflow_id, message;
  };

 public:
  void OnStart(WorkflowContext& ctx) override {
    auto params = ParseInputOrFail<BatchParams>(
        ctx, "batch parameters",
        [&](const nlohmann::json& in) { return ParseBatchParams(in, BatchKind::kLarge); });
    if (!params) return;
    params_ = std::move(*params);
    if (params_.carry) {  // an earlier run of this chain started the chunks before next_chunk
      const json& c = *params_.carry;
      total_ = ::quarry::json::IntOr(c, "total", 0);
      next_chunk_ = ::quarry::json::IntOr(c, "next_chunk", 0);
      sha256_ = ::quarry::json::StringOr(c, "sha256", "");
      aggregate_ = BatchAggregate::FromJson(c.value("aggregate", json::object()));
      if (total_ < 1 || next_chunk_ < 0 || next_chunk_ > Chunks()) {
        return FailConfig(ctx, "\"carry\" does not describe this batch");
      }
      StartMore(ctx);
      return FinishIfDone(ctx);
    }
    if (params_.runs) {
      total_ = static_cast<int64_t>(params_.runs->size());
      return StartMore(ctx);
    }
    reading_ = true;
    ScheduleReadRuns(ctx, params_, 0, 0);  // count and digest only
  }

  void OnActivityResolved(WorkflowContext& ctx, const std::string& activity_id,
                          const ActivityResolution& r) override {
    if (activity_id == kNotifyActivityId) return Finish(ctx);
    if (auto it = recovering_.find(activity_id); it != recovering_.end()) {
      return ChunkOutcomesRead(ctx, it, r);
    }
    if (activity_id != kReadRunsActivityId) return;
    reading_ = false;
    if (cancel_requested_) return ctx.CancelWorkflow(aggregate_.ToJson(total_));
    if (r.kind != ActivityResolution::Kind::kCompleted || !r.result || !r.result->is_object() ||
        !(*r.result)["line_count"].is_number_integer()) {
      std::string why = r.view.message.empty() ? "no line_count in its result" : r.view.message;
      return FailConfig(ctx, "reading " + params_.runs_file + ": " + why);
    }
    total_ = (*r.result)["line_count"].get<int64_t>();
    sha256_ = ::quarry::json::StringOr(*r.result, "sha256", "");
    if (total_ == 0) return FailConfig(ctx, params_.runs_file + " has no runs");
    StartMore(ctx);
  }

  void OnTimerFired(WorkflowContext&, const std::string&) override {}

  void OnChildResolved(WorkflowContext& ctx, const std::string& workflow_id,
                       const ChildResolution& r) override {
    auto it = running_.find(workflow_id);
    if (it == running_.end()) return;
    const int64_t chunk = it->second;
    running_.erase(it);
    if (r.kind == ChildResolution::Kind::kCompleted && r.result && r.result->is_object()) {
      aggregate_.Merge(*r.result);
    } else if (Recoverable(r) && ctx.Patched(kChunkOutcomesPatch)) {
      ScheduleChunkOutcomes(ctx, chunk, workflow_id, r);
    } else {
      aggregate_.AddFailedChunk(chunk, workflow_id, ChunkRuns(chunk), r.view.message);
    }
    StartMore(ctx);
    FinishIfDone(ctx);
  }

  void OnCancelRequested(WorkflowContext& ctx) override {
    if (cancel_requested_) return;
    cancel_requested_ = true;
    if (notifying_) return ctx.RequestCancelActivity(kNotifyActivityId);
    if (reading_) return ctx.RequestCancelActivity(kReadRunsActivityId);
    for (const auto& [activity_id, c] : recovering_) {
      aggregate_.AddFailedChunk(c.chunk, c.workflow_id, ChunkRuns(c.chunk), c.message);
    }
    recovering_.clear();
    ctx.CancelWorkflow(aggregate_.ToJson(total_));
  }

  // Progress of finished chunks (a running chunk answers its own `progress` query).
  json Progress() const override {
    json a = aggregate_.ToJson(total_);
    a.erase("failed_runs");
    a.erase("failed_runs_truncated");
    a.erase("failed_chunks");
    a["done"] = aggregate_.done();
    a["chunks"] = total_ > 0 ? Chunks() : 0;
    a["chunks_running"] = static_cast<int64_t>(running_.size());
    a["chunks_started"] = next_chunk_;
    json ids = json::array();
    for (const auto& [id, chunk] : running_) ids.push_back(id);
    a["running_chunk_ids"] = std::move(ids);
    if (reading_) a["reading_runs"] = true;
    return a;
  }

 private:
  int64_t Chunks() const { return (total_ + params_.chunk_size - 1) / params_.chunk_size; }
  int64_t ChunkRuns(int64_t chunk) const {
    return std::min(params_.chunk_size, total_ - chunk * params_.chunk_size);
  }

  // Past continue_as_new_after events (or the server's suggestion) no chunk starts; once the
  // running ones closed, FinishIfDone continues as new. Behind a patch: histories that passed the
  // threshold before this existed keep starting chunks.
  bool Draining(WorkflowContext& ctx) {
    if (draining_) return true;
    const TaskInfo& t = ctx.task();
    if (t.history_length < params_.continue_as_new_after && !t.continue_as_new_suggested) {
      return false;
    }
    draining_ = ctx.Patched(kContinueAsNewPatch);
    return draining_;
  }

  void StartMore(WorkflowContext& ctx) {
    const std::string& id = ctx.info().workflow_id;
    if (next_chunk_ < Chunks() && Draining(ctx)) return;
    while (static_cast<int64_t>(running_.size()) < params_.max_parallel_chunks &&
           next_chunk_ < Chunks()) {
      const int64_t chunk = next_chunk_++;
      const int64_t first = chunk * params_.chunk_size;
      const int64_t count = ChunkRuns(chunk);
      json input = {{"defaults", params_.defaults}, {"max_parallel", params_.max_parallel},
                    {"first_index", first},         {"job_id_prefix", id + "/"},
                    {"retry", RetryJson()},         {"activity", ActivityJson()}};
      if (params_.runs) {
        input["runs"] = json(params_.runs->begin() + first, params_.runs->begin() + first + count);
      } else {
        input["runs_file"] = params_.runs_file;
        input["runs_file_sha256"] = sha256_;
        input["runs_offset"] = first;
        input["runs_count"] = count;
      }
      ChildWorkflowOptions o;
      o.workflow_id = id + "/chunk-" + std::to_string(chunk);
      o.workflow_type = kBatchChunkWorkflow;
      o.task_queue = ctx.info().task_queue;
      o.input = std::move(input);
      running_[o.workflow_id] = chunk;
      ctx.StartChildWorkflow(o);
    }
  }

  json RetryJson() const {
    return {{"max_attempts", params_.retry.max_attempts},
            {"initial_interval", params_.retry.initial_interval.count() / 1000.0},
            {"backoff_coefficient", params_.retry.backoff_coefficient},
            {"maximum_interval", params_.retry.maximum_interval.count() / 1000.0}};
  }
  json ActivityJson() const {
    json a = {{"start_to_close_timeout", params_.activity.start_to_close.count() / 1000.0},
              {"heartbeat_timeout", params_.activity.heartbeat.count() / 1000.0}};
    if (params_.activity.schedule_to_start.count() > 0) {
      a["schedule_to_start_timeout"] = params_.activity.schedule_to_start.count() / 1000.0;
    }
    return a;
  }

  // A chunk stopped from outside (terminated, timed out) reported nothing, but some of its runs
  // may have finished: which succeeded is read from Lode (worker/chunk_outcomes_activity.h).
  // Not for a failed chunk (it fails only on its input, before any run) or one that never ran.
  bool Recoverable(const ChildResolution& r) const {
    return (r.kind == ChildResolution::Kind::kTerminated ||
            r.kind == ChildResolution::Kind::kTimedOut) &&
           !r.run_id.empty() && params_.defaults.contains("storage") && !cancel_requested_;
  }

  void ScheduleChunkOutcomes(WorkflowContext& ctx, int64_t chunk, const std::string& workflow_id,
                             const ChildResolution& r) {
    ActivityOptions o;
    o.activity_id = "chunk-" + std::to_string(chunk) + "/outcomes";
    o.activity_type = kChunkOutcomesActivity;
    o.task_queue = ctx.info().task_queue;
    o.input = {{"storage", params_.defaults["storage"]},
               {"chunk_run_id", r.run_id},
               {"first_index", chunk * params_.chunk_size},
               {"count", ChunkRuns(chunk)},
               {"max_attempts", params_.retry.max_attempts}};
    o.start_to_close = std::chrono::minutes(10);  // a scan of the whole dataset
    o.schedule_to_start = params_.activity.schedule_to_start;
    o.maximum_attempts = 3;
    o.retry_initial_interval = std::chrono::seconds(1);
    recovering_[o.activity_id] = {chunk, workflow_id, r.view.message};
    ctx.ScheduleActivity(o);
  }

  void ChunkOutcomesRead(WorkflowContext& ctx, std::map<std::string, Recovering>::iterator it,
                         const ActivityResolution& r) {
    const Recovering c = it->second;
    recovering_.erase(it);
    std::optional<std::vector<int64_t>> succeeded;
    if (r.kind == ActivityResolution::Kind::kCompleted && r.result && r.result->is_object() &&
        (*r.result)["succeeded"].is_array()) {
      succeeded.emplace();
      for (const auto& index : (*r.result)["succeeded"]) {
        if (index.is_number_integer()) succeeded->push_back(index.get<int64_t>());
      }
    }
    std::string message = c.message;
    if (!succeeded) {
      message += "; which of its runs succeeded could not be read from Lode: " +
                 (r.view.message.empty() ? std::string("no result") : r.view.message);
    }
    aggregate_.AddFailedChunk(c.chunk, c.workflow_id, ChunkRuns(c.chunk), message, succeeded);
    FinishIfDone(ctx);
  }

  void FinishIfDone(WorkflowContext& ctx) {
    if (!running_.empty() || !recovering_.empty()) return;
    if (next_chunk_ == Chunks()) return NotifyOrFinish(ctx);
    if (draining_ && !cancel_requested_) {
      json input = ctx.info().input.value_or(json::object());
      input["carry"] = {{"next_chunk", next_chunk_},
                        {"total", total_},
                        {"sha256", sha256_},
                        {"aggregate", aggregate_.ToJson(total_)}};
      ctx.ContinueAsNew(input);
    }
  }

  void NotifyOrFinish(WorkflowContext& ctx) {
    if (!params_.notify) return Finish(ctx);
    notifying_ = true;
    json body = aggregate_.ToJson(total_);
    body["workflow_id"] = ctx.info().workflow_id;
    body["workflow_type"] = ctx.info().workflow_type;
    body["status"] = "completed";
    ScheduleNotify(ctx, *params_.notify, params_.activity, std::move(body));
  }

  void Finish(WorkflowContext& ctx) {
    if (cancel_requested_) return ctx.CancelWorkflow(aggregate_.ToJson(total_));
    ctx.Complete(aggregate_.ToJson(total_));
  }

  BatchParams params_;
  int64_t total_ = 0;
  std::string sha256_;
  int64_t next_chunk_ = 0;
  std::map<std::string, int64_t> running_;        // child workflow id -> chunk
  std::map<std::string, Recovering> recovering_;  // outcomes activity id -> its chunk
  BatchAggregate aggregate_;
  bool reading_ = false;
  bool notifying_ = false;
  bool cancel_requested_ = false;
  bool draining_ = false;
};

}  // namespace

std::unique_ptr<Workflow> NewLargeBatchWorkflow() { return std::make_unique<LargeBatchWorkflow>(); }

}  // namespace quarry::temporal
