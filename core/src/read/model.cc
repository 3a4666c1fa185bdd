#include "quarry/read/model.h"

#include <algorithm>
#include <set>

#include "read/partition_path.h"

namespace quarry::read {
namespace {

using nlohmann::json;

std::optional<std::string> OptString(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

int64_t Counter(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->is_number_float() ? static_cast<int64_t>(it->get<double>()) : it->get<int64_t>();
}

int64_t Ns(const std::string& t) { return ParseRfc3339Nanos(t).value_or(0); }

// §4.14: the outcome of a run written by the original, from its counters and terminal event.
std::string InferOutcome(const json& metrics, const std::string& terminal_type) {
  if (Counter(metrics, "runs_completed_total") > 0) return "success";
  if (Counter(metrics, "runs_crashed_total") > 0) return "executor_crash";
  if (Counter(metrics, "runs_failed_total") > 0) {
    return terminal_type == "run_error" ? "script_error" : "policy_failure";
  }
  return terminal_type == "run_complete" ? "success" : "executor_crash";
}

RunState StateOf(const std::string& outcome) {
  return outcome == "success" ? RunState::kSucceeded : RunState::kFailed;
}

template <typename T>
void SortNewestFirst(std::vector<T>* v, int64_t T::*ns, std::string T::*id) {
  std::sort(v->begin(), v->end(), [&](const T& a, const T& b) {
    if (a.*ns != b.*ns) return a.*ns > b.*ns;
    return a.*id < b.*id;
  });
}

template <typename T>
std::map<std::string, size_t, std::less<>> IndexBy(const std::vector<T>& v, std::string T::*id) {
  std::map<std::string, size_t, std::less<>> index;
  for (size_t i = 0; i < v.size(); ++i) index.emplace(v[i].*id, i);
  return index;
}

template <typename T>
const T* Lookup(const std::map<std::string, size_t, std::less<>>& index, const std::vector<T>& v,
                std::string_view id) {
  auto it = index.find(id);
  return it == index.end() ? nullptr : &v[it->second];
}

}  // namespace

std::string_view Name(RunState s) {
  switch (s) {
    case RunState::kRunning:
      return "running";
    case RunState::kSucceeded:
      return "succeeded";
    case RunState::kFailed:
      return "failed";
  }
  return "";
}

std::string_view Name(JobState s) {
  switch (s) {
    case JobState::kRunning:
      return "running";
    case JobState::kCompleted:
      return "completed";
    case JobState::kFailed:
      return "failed";
  }
  return "";
}

std::string_view Name(TaskState s) {
  switch (s) {
    case TaskState::kUnscheduled:
      return "unscheduled";
    case TaskState::kRunning:
      return "running";
    case TaskState::kSucceeded:
      return "succeeded";
    case TaskState::kFailed:
      return "failed";
  }
  return "";
}

std::string_view Name(ExecutorState s) {
  switch (s) {
    case ExecutorState::kRunning:
      return "running";
    case ExecutorState::kIdle:
      return "idle";
    case ExecutorState::kFailed:
      return "failed";
  }
  return "";
}

Dataset::Dataset(Scan scan) : scan_(std::move(scan)) {
  // Runs, keyed by id while they are assembled.
  std::map<std::string, Run, std::less<>> runs;
  std::map<std::string, std::string> terminal_type;  // original runs: the terminal seen
  std::map<std::string, bool> described;             // has a descriptor somewhere
  auto run_of = [&](const std::string& id) -> Run& {
    auto [it, inserted] = runs.try_emplace(id);
    if (inserted) it->second.run_id = id;
    return it->second;
  };
  for (size_t i = 0; i < scan_.snapshots.size(); ++i) {
    const SnapshotDigest& s = scan_.snapshots[i];
    for (const auto& f : s.files) {
      const PartitionValues pv = ParsePartitionPath(f.path);
      if (!pv.has_run_id) continue;
      Run& r = run_of(pv.run_id);
      if (r.snapshots.empty() || r.snapshots.back() != i) r.snapshots.push_back(i);
      Run::Stored& stored = r.stored_by_type[pv.event_type];
      ++stored.files;
      stored.bytes += f.size_bytes;
      if (r.source.empty()) {
        r.source = pv.source;
        r.category = pv.category;
        r.day = pv.day;
      }
    }
    for (const RunRef& ref : s.runs) {
      Run& r = run_of(ref.run_id);
      if (!ref.derived) {
        // Descriptors of one run agree; a later one (a higher attempt) wins.
        described[ref.run_id] = true;
        r.attempt = ref.attempt;
        r.job_id = ref.job_id;
        r.parent_run_id = ref.parent_run_id;
        r.source = ref.source;
        r.category = ref.category;
        r.day = ref.day;
        r.policy = ref.policy;
        if (!ref.executor.empty()) r.executor = ref.executor;
        r.started_at = ref.started_at;
        r.fanout = ref.fanout;
        continue;
      }
      if (described[ref.run_id]) continue;
      const int64_t ns = Ns(ref.started_at);
      if (!ref.started_at.empty() && (r.started_at.empty() || ns < Ns(r.started_at))) {
        r.started_at = ref.started_at;
      }
      if (!r.job_id) r.job_id = ref.job_id;
      if (!r.parent_run_id) r.parent_run_id = ref.parent_run_id;
      r.attempt = std::max(r.attempt, ref.attempt);
      if (r.policy.empty()) r.policy = ref.policy;
      if (r.executor.empty()) r.executor = ref.executor;
      if (!ref.terminal_type.empty()) {
        terminal_type[ref.run_id] = ref.terminal_type;
        if (!ref.terminal_message.empty()) r.message = ref.terminal_message;
      }
    }
    for (const auto& side : s.sidecars) {
      const PartitionValues pv = ParsePartitionPath(side.path);
      if (!pv.has_run_id) continue;
      Run& r = run_of(pv.run_id);
      const bool dup = std::any_of(r.sidecar_files.begin(), r.sidecar_files.end(),
                                   [&](const lode::SidecarRef& x) { return x.path == side.path; });
      if (!dup) r.sidecar_files.push_back(side);
    }
    for (const json& m : s.metrics) {
      MetricsRecord rec;
      rec.record = &m;
      rec.snapshot = i;
      rec.run_id = OptString(m, "run_id").value_or("");
      rec.source = OptString(m, "source").value_or("");
      metrics_.push_back(rec);
      Run& r = run_of(rec.run_id);
      r.metrics = &m;  // snapshot order: the last one is the newest
      if (r.snapshots.empty() || r.snapshots.back() != i) r.snapshots.push_back(i);
    }
  }

  for (auto& [id, r] : runs) {
    r.original = !described[id];
    if (r.metrics) {
      const json& m = *r.metrics;
      if (!r.fanout) {
        if (auto by = OptString(m, "enqueued_by_run_id")) {
          r.fanout = lode::FanoutLink{*by, OptString(m, "enqueued_by_event_id").value_or(""),
                                      Counter(m, "fanout_depth")};
        }
      }
      if (r.executor.empty()) r.executor = OptString(m, "executor").value_or("");
      if (r.policy.empty()) r.policy = OptString(m, "policy").value_or("");
      if (!r.job_id) r.job_id = OptString(m, "job_id");
      r.ended_at = OptString(m, "ts");
      if (auto outcome = OptString(m, "outcome")) {
        r.outcome = *outcome;
        r.message = OptString(m, "outcome_message").value_or("");
      } else {
        r.outcome = InferOutcome(m, terminal_type[id]);
        if (!r.message) r.message = "";
      }
      r.state = StateOf(*r.outcome);
      if (r.started_at.empty()) r.started_at = r.ended_at.value_or("");
    } else {
      r.state = RunState::kRunning;
      r.message.reset();
    }
    r.started_at_ns = Ns(r.started_at);
  }
  for (auto& [id, r] : runs) {
    if (!r.fanout) continue;
    auto parent = runs.find(r.fanout->enqueued_by_run_id);
    if (parent != runs.end()) parent->second.children.push_back(id);
  }
  for (auto& [id, r] : runs) {
    std::sort(r.children.begin(), r.children.end(),
              [&](const std::string& a, const std::string& b) {
                const int64_t na = runs[a].started_at_ns, nb = runs[b].started_at_ns;
                return na != nb ? na < nb : a < b;
              });
  }
  for (auto& [id, r] : runs) runs_.push_back(std::move(r));
  SortNewestFirst(&runs_, &Run::started_at_ns, &Run::run_id);
  run_index_ = IndexBy(runs_, &Run::run_id);

  // Jobs (§6.3).
  std::map<std::string, std::vector<const Run*>> by_job;
  for (const Run& r : runs_) {
    if (r.job_id) by_job[*r.job_id].push_back(&r);
  }
  for (auto& [job_id, members] : by_job) {
    std::sort(members.begin(), members.end(), [](const Run* a, const Run* b) {
      return a->started_at_ns != b->started_at_ns ? a->started_at_ns < b->started_at_ns
                                                  : a->run_id < b->run_id;
    });
    Job job;
    job.job_id = job_id;
    job.started_at_ns = members.front()->started_at_ns;
    const Run* deciding = nullptr;
    bool running = false;
    for (const Run* r : members) {
      job.run_ids.push_back(r->run_id);
      running |= r->state == RunState::kRunning;
      if (!r->fanout) deciding = r;
    }
    if (!deciding) deciding = members.back();
    job.state = running ? JobState::kRunning
                        : (deciding->state == RunState::kSucceeded ? JobState::kCompleted
                                                                   : JobState::kFailed);
    jobs_.push_back(std::move(job));
  }
  SortNewestFirst(&jobs_, &Job::started_at_ns, &Job::job_id);
  job_index_ = IndexBy(jobs_, &Job::job_id);

  // Tasks (§6.4): enqueue events, then the links of child runs.
  std::map<std::string, Task> tasks;
  for (const SnapshotDigest& s : scan_.snapshots) {
    for (const json& e : s.enqueues) {
      auto id = OptString(e, "event_id");
      if (!id) continue;
      Task& t = tasks[*id];
      t.task_id = *id;
      t.enqueued_by = OptString(e, "run_id").value_or("");
      t.enqueued_at_ns = Ns(OptString(e, "ts").value_or(""));
      if (auto p = e.find("payload"); p != e.end() && p->is_object() && p->contains("target")) {
        t.target = (*p)["target"];
      }
    }
  }
  // Oldest first, so that a retried child (a newer run for the same task) wins.
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    const Run& r = *it;
    if (!r.fanout || r.fanout->enqueued_by_event_id.empty()) continue;
    Task& t = tasks[r.fanout->enqueued_by_event_id];
    if (t.task_id.empty()) {
      t.task_id = r.fanout->enqueued_by_event_id;
      t.enqueued_by = r.fanout->enqueued_by_run_id;
      t.enqueued_at_ns = r.started_at_ns;
    }
    t.run_id = r.run_id;
    t.state = r.state == RunState::kRunning     ? TaskState::kRunning
              : r.state == RunState::kSucceeded ? TaskState::kSucceeded
                                                : TaskState::kFailed;
  }
  for (auto& [id, t] : tasks) tasks_.push_back(std::move(t));
  SortNewestFirst(&tasks_, &Task::enqueued_at_ns, &Task::task_id);
  task_index_ = IndexBy(tasks_, &Task::task_id);

  // Executors (§6.5).
  std::map<std::string, std::vector<const Run*>> by_executor;
  for (const Run& r : runs_) {
    if (!r.executor.empty()) by_executor[r.executor].push_back(&r);
  }
  for (auto& [name, members] : by_executor) {
    Executor e;
    e.executor_id = name;
    bool running = false;
    const Run* last_finished = nullptr;
    int64_t last_finished_ns = 0;
    for (const Run* r : members) {
      running |= r->state == RunState::kRunning;
      auto consider = [&](const std::string& t) {
        if (t.empty()) return;
        const int64_t ns = Ns(t);
        if (!e.last_seen_at || ns > e.last_seen_ns) {
          e.last_seen_at = t;
          e.last_seen_ns = ns;
        }
      };
      consider(r->started_at);
      if (r->ended_at) {
        consider(*r->ended_at);
        const int64_t ns = Ns(*r->ended_at);
        if (!last_finished || ns > last_finished_ns) {
          last_finished = r;
          last_finished_ns = ns;
        }
      }
    }
    e.state = running ? ExecutorState::kRunning
              : (last_finished && last_finished->outcome == "executor_crash")
                  ? ExecutorState::kFailed
                  : ExecutorState::kIdle;
    executors_.push_back(std::move(e));
  }
  SortNewestFirst(&executors_, &Executor::last_seen_ns, &Executor::executor_id);
  executor_index_ = IndexBy(executors_, &Executor::executor_id);
}

const Run* Dataset::FindRun(std::string_view id) const { return Lookup(run_index_, runs_, id); }
const Job* Dataset::FindJob(std::string_view id) const { return Lookup(job_index_, jobs_, id); }
const Task* Dataset::FindTask(std::string_view id) const { return Lookup(task_index_, tasks_, id); }
const Executor* Dataset::FindExecutor(std::string_view id) const {
  return Lookup(executor_index_, executors_, id);
}

Counts CountRuns(const Dataset& d) {
  Counts c;
  for (const Run& r : d.runs()) {
    ++c.total;
    if (r.state == RunState::kRunning) ++c.running;
    if (r.state == RunState::kSucceeded) ++c.succeeded;
    if (r.state == RunState::kFailed) ++c.failed;
  }
  return c;
}

Counts CountJobs(const Dataset& d) {
  Counts c;
  for (const Job& j : d.jobs()) {
    ++c.total;
    if (j.state == JobState::kRunning) ++c.running;
    if (j.state == JobState::kCompleted) ++c.succeeded;
    if (j.state == JobState::kFailed) ++c.failed;
  }
  return c;
}

Counts CountTasks(const Dataset& d) {
  Counts c;
  for (const Task& t : d.tasks()) {
    ++c.total;
    if (t.state == TaskState::kRunning) ++c.running;
    if (t.state == TaskState::kSucceeded) ++c.succeeded;
    if (t.state == TaskState::kFailed) ++c.failed;
  }
  return c;
}

Counts CountExecutors(const Dataset& d) {
  Counts c;
  for (const Executor& e : d.executors()) {
    ++c.total;
    if (e.state == ExecutorState::kRunning) ++c.running;
    if (e.state == ExecutorState::kIdle) ++c.idle;
    if (e.state == ExecutorState::kFailed) ++c.failed;
  }
  return c;
}

}  // namespace quarry::read
