// The worker's metrics in the Prometheus text format (docs/temporal.md, "Metrics"): the names
// and tags of the Temporal SDK metrics reference where the worker has the concept (polls, slots,
// task and activity latencies), plus Quarry's run counters. Histograms are in seconds, as the
// Go and Java SDKs report them. Thread-safe; Render() is what `/metrics` serves.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace quarry::temporal {

enum class WorkerType { kWorkflow, kActivity };

class WorkerMetrics {
 public:
  WorkerMetrics(int workflow_slots, int activity_slots);

  // A poll answered with a task (`succeed`) or without one (the long poll's timeout).
  void Polled(WorkerType type, bool got_task);
  // A task started or ended on a slot.
  void SlotTaken(WorkerType type);
  void SlotFreed(WorkerType type);
  // Time from scheduling to the worker's pick-up, as the server's timestamps say.
  void ScheduleToStart(WorkerType type, double seconds);
  void WorkflowTaskExecuted(double seconds, bool failed);
  void ActivityExecuted(const std::string& activity_type, double seconds, bool failed);
  // A RunQuarryExtraction run ended with this outcome (success, script_error, ...).
  void RunEnded(const std::string& outcome, int64_t events_persisted);

  std::string Render() const;

 private:
  struct Histogram {
    std::array<uint64_t, 14> buckets{};  // cumulative at render time, per bucket here
    uint64_t count = 0;
    double sum = 0;
    void Observe(double v);
  };

  mutable std::mutex mu_;
  const int slots_[2];
  int used_[2] = {0, 0};
  uint64_t poll_succeed_[2] = {0, 0}, poll_empty_[2] = {0, 0};
  Histogram schedule_to_start_[2];
  Histogram workflow_task_latency_;
  uint64_t workflow_task_failed_ = 0;
  std::map<std::string, Histogram> activity_latency_;
  std::map<std::string, uint64_t> activity_failed_;
  std::map<std::string, uint64_t> runs_;
  uint64_t events_persisted_ = 0;
};

// Seconds between two protobuf timestamps' worth of wall time, clamped at 0.
double SecondsBetween(int64_t from_seconds, int32_t from_nanos, int64_t to_seconds,
                      int32_t to_nanos);

}  // namespace quarry::temporal
