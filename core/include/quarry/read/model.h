// The read model of a dataset (storage-and-policies.md §6.2–§6.6): runs, jobs, tasks and
// executors, built from a Scan. Pure computation over the digests: no store calls.
//
// Shared by the read-only commands (inspect, list, stats, debug) and `quarry export`, which finds
// a run's data files through Run::snapshots.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "quarry/lode/run_writer.h"
#include "quarry/read/scan.h"

namespace quarry::read {

enum class RunState { kRunning, kSucceeded, kFailed };
enum class JobState { kRunning, kCompleted, kFailed };
enum class TaskState { kUnscheduled, kRunning, kSucceeded, kFailed };
enum class ExecutorState { kRunning, kIdle, kFailed };

std::string_view Name(RunState s);  // "running" / "succeeded" / "failed"
std::string_view Name(JobState s);  // "running" / "completed" / "failed"
std::string_view Name(TaskState s);
std::string_view Name(ExecutorState s);

struct Run {
  std::string run_id;
  int64_t attempt = 1;
  std::optional<std::string> job_id;
  std::optional<std::string> parent_run_id;  // `parent_run` of inspect run
  std::string source, category, day, policy, executor;
  std::string started_at;
  int64_t started_at_ns = 0;
  std::optional<std::string> ended_at;  // the metrics record's ts
  std::optional<std::string> outcome;   // recorded, or inferred for the original's runs (§4.14)
  std::optional<std::string> message;   // outcome_message
  RunState state = RunState::kRunning;
  std::vector<lode::SidecarRef> sidecar_files;  // union over its snapshots, in snapshot order
  std::optional<lode::FanoutLink> fanout;
  std::vector<std::string> children;  // runs whose link names this run, by started_at
  // Indices into Scan::snapshots of every snapshot with files of this run (its `run_id=`
  // segment), in snapshot order; and the run's newest metrics record (nullptr: none).
  std::vector<size_t> snapshots;
  const nlohmann::json* metrics = nullptr;
  // Committed data files of this run by their `event_type=` segment, from the manifests alone
  // (a manifest lists files and bytes, not records).
  struct Stored {
    uint64_t files = 0, bytes = 0;
  };
  std::map<std::string, Stored, std::less<>> stored_by_type;
  bool original = false;  // no run descriptor anywhere: written by the original Go Quarry
};

struct Job {
  std::string job_id;
  JobState state = JobState::kRunning;
  std::vector<std::string> run_ids;  // by started_at
  int64_t started_at_ns = 0;         // of its first run
};

struct Task {
  std::string task_id;  // the enqueue event's event_id
  TaskState state = TaskState::kUnscheduled;
  std::optional<std::string> run_id;     // the child run started for it
  std::optional<nlohmann::json> target;  // the enqueue payload's target (absent: dropped event)
  std::string enqueued_by;               // run_id of the enqueuing run
  int64_t enqueued_at_ns = 0;
};

struct Executor {
  std::string executor_id;
  ExecutorState state = ExecutorState::kIdle;
  std::optional<std::string> last_seen_at;
  int64_t last_seen_ns = 0;
};

// One metrics record with the snapshot it came from.
struct MetricsRecord {
  const nlohmann::json* record = nullptr;
  size_t snapshot = 0;  // index into Scan::snapshots
  std::string run_id;   // the run_id= segment of its data file (unescaped)
  std::string source;   // the source= segment (unescaped)
};

class Dataset {
 public:
  explicit Dataset(Scan scan);
  Dataset(Dataset&&) = default;
  Dataset& operator=(Dataset&&) = default;

  const Scan& scan() const { return scan_; }
  // Newest first by started_at (ties: run id), §5.6.
  const std::vector<Run>& runs() const { return runs_; }
  const Run* FindRun(std::string_view run_id) const;
  // Newest first by the start of their first run.
  const std::vector<Job>& jobs() const { return jobs_; }
  const Job* FindJob(std::string_view job_id) const;
  // Newest first by the enqueue (or the child's start when only a link is known).
  const std::vector<Task>& tasks() const { return tasks_; }
  const Task* FindTask(std::string_view task_id) const;
  // Newest first by last_seen_at.
  const std::vector<Executor>& executors() const { return executors_; }
  const Executor* FindExecutor(std::string_view executor_id) const;
  // Every metrics record, in snapshot order (oldest first).
  const std::vector<MetricsRecord>& metrics() const { return metrics_; }

 private:
  Scan scan_;
  std::vector<Run> runs_;
  std::vector<Job> jobs_;
  std::vector<Task> tasks_;
  std::vector<Executor> executors_;
  std::vector<MetricsRecord> metrics_;
  std::map<std::string, size_t, std::less<>> run_index_, job_index_, task_index_, executor_index_;
};

// The §6.6 aggregates.
struct Counts {
  uint64_t total = 0, running = 0, succeeded = 0, failed = 0, idle = 0;
};
Counts CountRuns(const Dataset& d);
Counts CountJobs(const Dataset& d);       // completed counts as succeeded
Counts CountTasks(const Dataset& d);      // unscheduled only in total
Counts CountExecutors(const Dataset& d);  // running, idle, failed

// `stats metrics` (§6.7, D11.27): with `run_id`, that run's newest record; else the aggregate of
// every record matching `source` (empty = all). Keys in the documented output order. Errors:
// "no metrics records found", "metrics record missing required field: <name>".
StatusOr<nlohmann::ordered_json> MetricsView(const Dataset& d, std::string_view run_id,
                                             std::string_view source);

// `debug ipc` (§6.8); `verbose` adds recent_errors.
nlohmann::ordered_json IpcView(const Dataset& d, std::string_view run_id, bool verbose);

}  // namespace quarry::read
