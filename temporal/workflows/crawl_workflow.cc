#include "workflows/crawl_workflow.h"
#include "workflows/run_id.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include "quarry/fanout/enqueue.h"
#include "quarry/json/parse.h"
#include "workflows/crawl_params.h"
#include "workflows/crawl_state.h"
#include "workflows/notify.h"
#include "workflows/run_attempts.h"
#include "workflows/workflow_input.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

// History size that starts a continue-as-new whatever the event count (Temporal warns at 10 MB
// and refuses 50 MB; a drain adds at most `parallel` results of ≤ 257 KB on top).
constexpr int64_t kContinueAsNewBytes = 8 << 20;
// A frontier too large to carry postpones the continue-as-new; past this many events the crawl
// gives up rather than run into Temporal's 51,200-event limit.
constexpr int64_t kGiveUpHistoryLength = 45'000;

// Counts read from an activity result, which any worker could have written: never negative and
// never large enough to overflow a sum.
int64_t SaneCount(const json& obj, const char* key) {
  return std::clamp<int64_t>(::quarry::json::IntOr(obj, key, 0), 0, 1'000'000'000);
}

class CrawlWorkflow : public Workflow {
 public:
  void OnStart(WorkflowContext& ctx) override {
    auto params = ParseInputOrFail<CrawlParams>(ctx, "crawl parameters", ParseCrawlParams);
    if (!params) return;
    params_ = std::move(*params);
    job_id_ = ::quarry::json::StringOr(params_.run_template, "job_id", "");
    if (job_id_.empty()) job_id_ = ctx.info().workflow_id;
    if (params_.frontier) {
      auto state = DecodeFrontier(*params_.frontier);
      if (!state.ok()) return FailConfig(ctx, state.status().message());
      state_ = std::move(*state);
      ++state_.continued;
    } else {
      state_.crawl_run_id = ctx.info().run_id;
      StartRoot(ctx);
    }
    Step(ctx);
  }

  void OnActivityResolved(WorkflowContext& ctx, const std::string& activity_id,
                          const ActivityResolution& r) override {
    if (activity_id == kNotifyActivityId) return Finish(ctx);
    auto index = IndexInId("task-", activity_id);
    if (!index) return;
    auto it = running_.find(*index);
    if (it == running_.end() || !it->second->run.IsCurrentActivity(activity_id)) return;
    Running& task = *it->second;
    const RunAttempts::State state = task.run.OnActivityResolved(ctx, r);
    // Every attempt's requests count, also a failed one's (the CLI's operator sees a run's
    // enqueue events as they arrive, whatever its outcome); a retry's repeats are deduplicated.
    Admit(task, task.run.last_result(), task.run.run_id());
    if (state != RunAttempts::State::kBackoff) Ended(it);
    Step(ctx);
  }

  void OnTimerFired(WorkflowContext& ctx, const std::string& timer_id) override {
    auto index = IndexInId("task-", timer_id);
    if (!index) return;
    auto it = running_.find(*index);
    if (it != running_.end() && it->second->run.IsCurrentTimer(timer_id)) {
      it->second->run.OnTimerFired(ctx);
    }
  }

  void OnCancelRequested(WorkflowContext& ctx) override {
    if (cancel_requested_ || closed_) return;
    cancel_requested_ = true;
    if (notifying_) return ctx.RequestCancelActivity(kNotifyActivityId);
    for (auto it = running_.begin(); it != running_.end();) {
      auto next = std::next(it);
      if (it->second->run.RequestCancel(ctx)) Ended(it);
      it = next;
    }
    Step(ctx);
  }

  json Progress() const override {
    const CrawlCounters& c = state_.counters;
    json running = json::array();
    for (const auto& [index, r] : running_) running.push_back(r->run.run_id());
    return {
        {"accepted", c.accepted},
        {"succeeded", c.succeeded},
        {"failed", c.failed},
        {"canceled", c.canceled},
        {"running", static_cast<int64_t>(running_.size())},
        {"queued", static_cast<int64_t>(state_.queue.size())},
        {"running_run_ids", std::move(running)},
        {"enqueue", {{"received", c.received}, {"deduped", c.deduped}, {"skipped", c.skipped()}}}};
  }

 private:
  struct Running {
    Running(QueuedTask t, RunAttempts r) : task(std::move(t)), run(std::move(r)) {}
    QueuedTask task;
    RunAttempts run;
  };
  using RunningMap = std::map<int64_t, std::unique_ptr<Running>>;

  json CollectCaps(int64_t depth) const {
    // A run at the last level still reports how many requests it made (they count as received
    // and skipped), but hands none back.
    const int64_t tasks = depth < params_.depth ? params_.max_enqueued_per_run : 0;
    return {{"max_tasks", tasks}, {"max_bytes", kMaxEnqueuedBytesPerResult}};
  }

  void StartRoot(WorkflowContext& ctx) {
    QueuedTask root;
    root.index = 0;
    root.target = ::quarry::json::StringOr(params_.run_template, "script", "");
    root.source = ::quarry::json::StringOr(params_.run_template, "source", "");
    root.category = ::quarry::json::StringOr(params_.run_template, "category", "default");
    json tpl = params_.run_template;
    tpl["collect_enqueued"] = CollectCaps(0);
    Launch(ctx, std::move(root), std::move(tpl));
  }

  std::string ResolveTarget(const std::string& target) const {
    if (target.empty() || target[0] == '/' || params_.target_dir.empty()) return target;
    std::string dir = params_.target_dir;
    if (dir.back() != '/') dir.push_back('/');
    return dir + target;
  }

  void StartChild(WorkflowContext& ctx, QueuedTask t) {
    // D5 / §9: the root's settings and job_id, the enqueue's script and params as the job, the
    // effective source/category, the link to the enqueuing run. Attempt 1 has no parent_run_id;
    // retries have the previous attempt's (RunAttempts).
    json tpl = params_.run_template;
    tpl.erase("job_json");
    tpl["script"] = ResolveTarget(t.target);
    tpl["job"] = t.params;
    tpl["source"] = t.source;
    tpl["category"] = t.category;
    tpl["fanout"] = {{"enqueued_by_run_id", t.enqueued_by_run_id},
                     {"enqueued_by_event_id", t.enqueued_by_event_id},
                     {"fanout_depth", t.depth}};
    tpl["collect_enqueued"] = CollectCaps(t.depth);
    Launch(ctx, std::move(t), std::move(tpl));
  }

  void Launch(WorkflowContext& ctx, QueuedTask t, json tpl) {
    const int64_t i = t.index;
    const std::string name = "task-" + std::to_string(i);
    auto running = std::make_unique<Running>(
        std::move(t), RunAttempts(name + "/", state_.crawl_run_id + "/" + name, std::move(tpl),
                                  job_id_, &params_.retry, &params_.activity));
    running->run.Start(ctx);
    running_[i] = std::move(running);
  }

  // The requests one attempt handed back, through the §9 rules in their order: a usable target,
  // the depth limit, the dedup key, then max_runs.
  void Admit(const Running& from, const json& result, const std::string& by_run_id) {
    if (!result.is_object()) return;
    auto list = result.find("enqueued");
    if (list == result.end() || !list->is_array()) return;
    CrawlCounters& c = state_.counters;
    const int64_t depth = from.task.depth + 1;
    const bool too_deep = depth > params_.depth;
    const int64_t invalid = SaneCount(result, "enqueue_invalid");
    const int64_t omitted = SaneCount(result, "enqueued_omitted");
    c.received += invalid + omitted;
    c.skipped_invalid += invalid;
    (too_deep ? c.skipped_depth : c.skipped_result_cap) += omitted;
    size_t seen = 0;
    for (const json& e : *list) {
      if (seen++ >= static_cast<size_t>(kMaxEnqueuedPerResult)) break;  // more than a worker sends
      ++c.received;
      const std::string target = ::quarry::json::StringOr(e, "target", "");
      if (target.empty()) {
        ++c.skipped_invalid;
        continue;
      }
      if (too_deep) {
        ++c.skipped_depth;
        continue;
      }
      auto p = e.find("params");
      json params = p != e.end() && p->is_object() ? *p : json::object();
      const std::string key =
          fanout::DedupKey(target, params.dump(-1, ' ', false, json::error_handler_t::replace));
      if (state_.dedup.Contains(key)) {
        ++c.deduped;
        continue;
      }
      if (c.accepted >= params_.max_runs) {
        ++c.skipped_max_runs;
        continue;
      }
      state_.dedup.Insert(key);
      ++c.accepted;
      QueuedTask t;
      t.index = state_.next_index++;
      t.depth = depth;
      t.target = target;
      t.params = std::move(params);
      t.source = ::quarry::json::StringOr(e, "source", "");
      if (t.source.empty()) t.source = from.task.source;
      t.category = ::quarry::json::StringOr(e, "category", "");
      if (t.category.empty()) t.category = from.task.category;
      t.enqueued_by_run_id = by_run_id;
      t.enqueued_by_event_id = ::quarry::json::StringOr(e, "event_id", "");
      state_.queue.push_back(std::move(t));
    }
  }

  static json Final(const RunAttempts& run) {
    if (run.last_result().is_object()) {
      json final = run.last_result();
      final.erase("enqueued");  // in history already; the summary keeps the counts
      return final;
    }
    // No ExtractionResult (the attempt timed out): enough for the exit code and the run id.
    return {{"outcome", run.last_outcome()}, {"run_id", run.run_id()}, {"attempt", run.attempt()}};
  }

  // A task's last attempt resolved (or it was cancelled while backing off).
  void Ended(RunningMap::iterator it) {
    const Running& r = *it->second;
    const RunAttempts& run = r.run;
    if (r.task.index == 0) {
      state_.root = {{"run_id", run.run_id()},
                     {"outcome", run.last_outcome()},
                     {"attempts", run.attempts()},
                     {"final", Final(run)}};
    } else {
      CrawlCounters& c = state_.counters;
      const json& last = run.last_result();
      json entry = {{"task", r.task.index},
                    {"run_id", run.run_id()},
                    {"outcome", run.last_outcome()},
                    {"attempts", run.attempt()},
                    {"depth", r.task.depth},
                    {"target", r.task.target},
                    {"events", ::quarry::json::IntOr(last, "event_count", 0)},
                    {"duration_ms", ::quarry::json::IntOr(last, "duration_ms", 0)},
                    {"enqueued_by_run_id", r.task.enqueued_by_run_id}};
      switch (run.state()) {
        case RunAttempts::State::kSucceeded:
          ++c.succeeded;
          break;
        case RunAttempts::State::kCanceled:
          ++c.canceled;
          break;
        default:
          ++c.failed;
          entry["message"] = run.failure_message();
          if (state_.failed_runs.size() < kMaxChildRunsListed) {
            state_.failed_runs.push_back(entry);
          } else {
            state_.failed_runs_truncated = true;
          }
      }
      if (state_.child_runs.size() < kMaxChildRunsListed) {
        state_.child_runs.push_back(std::move(entry));
      } else {
        state_.child_runs_truncated = true;
      }
    }
    running_.erase(it);
  }

  int64_t ChildrenRunning() const {
    return static_cast<int64_t>(running_.size()) - (running_.count(0) ? 1 : 0);
  }

  bool WantContinue(const WorkflowContext& ctx) const {
    const TaskInfo& t = ctx.task();
    if (t.history_length < drain_not_before_) return false;
    return t.history_length >= params_.continue_as_new_after ||
           t.history_size_bytes >= kContinueAsNewBytes || t.continue_as_new_suggested;
  }

  // After every event: start what may start, and close when nothing is left.
  void Step(WorkflowContext& ctx) {
    if (closed_) return;
    if (cancel_requested_) {
      if (running_.empty()) {
        closed_ = true;
        ctx.CancelWorkflow(Summary());
      }
      return;
    }
    if (!draining_ && WantContinue(ctx)) draining_ = true;
    // Draining: nothing new starts, so no activity is left behind when this execution closes.
    while (!draining_ && ChildrenRunning() < params_.parallel && !state_.queue.empty()) {
      QueuedTask t = std::move(state_.queue.front());
      state_.queue.pop_front();
      StartChild(ctx, std::move(t));
    }
    if (!running_.empty()) return;
    if (state_.queue.empty()) return NotifyOrFinish(ctx);
    if (draining_) TryContinue(ctx);
  }

  void TryContinue(WorkflowContext& ctx) {
    auto frontier = EncodeFrontier(state_);
    std::string why = frontier.ok() ? "" : frontier.status().message();
    if (frontier.ok()) {
      const size_t bytes = frontier->dump().size();
      if (bytes <= kMaxFrontierBytes) {
        json input = params_.input;
        input["frontier"] = std::move(*frontier);
        closed_ = true;
        return ctx.ContinueAsNew(input);
      }
      why = std::to_string(bytes) + " bytes encoded, over the " +
            std::to_string(kMaxFrontierBytes) + " a continue-as-new carries";
    }
    const int64_t length = ctx.task().history_length;
    if (length >= kGiveUpHistoryLength) {
      closed_ = true;
      return ctx.Fail(ToFailure({"CRAWL_FRONTIER_TOO_LARGE",
                                 "the crawl frontier (" + std::to_string(state_.queue.size()) +
                                     " queued tasks, " + std::to_string(state_.dedup.size()) +
                                     " dedup keys) cannot continue as new: " + why +
                                     "; lower max_runs or the size of enqueue params",
                                 /*non_retryable=*/true, Summary()}));
    }
    // Run more of the queue (which shrinks it) and try again later.
    draining_ = false;
    drain_not_before_ = length + params_.continue_as_new_after / 2;
    Step(ctx);
  }

  json Summary() const {
    const CrawlCounters& c = state_.counters;
    json root = state_.root;
    if (root.is_null()) {
      auto it = running_.find(0);
      root = it == running_.end() ? json{{"outcome", "not_started"}}
                                  : json{{"run_id", it->second->run.run_id()},
                                         {"outcome", "canceled"},
                                         {"attempts", it->second->run.attempts()},
                                         {"final", Final(it->second->run)}};
    }
    json final = root.contains("final") ? root["final"] : json{{"outcome", "canceled"}};
    root.erase("final");
    json children = json::array();
    for (const auto& e : state_.child_runs) children.push_back(e);
    std::sort(children.begin(), children.end(), [](const json& a, const json& b) {
      return ::quarry::json::StringOr(a, "run_id", "") < ::quarry::json::StringOr(b, "run_id", "");
    });
    json s = {{"final", std::move(final)},
              {"root", std::move(root)},
              {"job_id", job_id_},
              {"children",
               {{"total", c.succeeded + c.failed + c.canceled},
                {"succeeded", c.succeeded},
                {"failed", c.failed},
                {"canceled", c.canceled},
                {"not_run", static_cast<int64_t>(state_.queue.size())}}},
              {"enqueue",
               {{"received", c.received},
                {"deduped", c.deduped},
                {"skipped", c.skipped()},
                {"skipped_by",
                 {{"invalid_target", c.skipped_invalid},
                  {"depth", c.skipped_depth},
                  {"max_runs", c.skipped_max_runs},
                  {"result_cap", c.skipped_result_cap}}}}},
              {"child_runs", std::move(children)},
              {"failed_runs", state_.failed_runs},
              {"continued_as_new", state_.continued}};
    if (state_.child_runs_truncated) s["child_runs_truncated"] = true;
    if (state_.failed_runs_truncated) s["failed_runs_truncated"] = true;
    return s;
  }

  void NotifyOrFinish(WorkflowContext& ctx) {
    if (!params_.notify) return Finish(ctx);
    if (notifying_) return;
    notifying_ = true;
    json body = Summary();
    body["workflow_id"] = ctx.info().workflow_id;
    body["workflow_type"] = ctx.info().workflow_type;
    body["status"] = "completed";
    ScheduleNotify(ctx, *params_.notify, params_.activity, std::move(body));
  }

  void Finish(WorkflowContext& ctx) {
    if (closed_) return;
    closed_ = true;
    if (cancel_requested_) return ctx.CancelWorkflow(Summary());
    ctx.Complete(Summary());
  }

  CrawlParams params_;
  CrawlState state_;
  std::string job_id_;
  RunningMap running_;  // task index -> its attempts (0 = the root)
  bool draining_ = false;
  int64_t drain_not_before_ = 0;
  bool notifying_ = false;
  bool cancel_requested_ = false;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<Workflow> NewCrawlWorkflow() { return std::make_unique<CrawlWorkflow>(); }

}  // namespace quarry::temporal
