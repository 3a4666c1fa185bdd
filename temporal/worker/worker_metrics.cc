#include "worker/worker_metrics.h"

#include <cstdio>

namespace quarry::temporal {
namespace {

constexpr std::array<double, 14> kBounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                            0.5,   1,     2.5,  5,     10,   60,  300};

const char* TypeTag(WorkerType t) {
  return t == WorkerType::kWorkflow ? "WorkflowWorker" : "ActivityWorker";
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Label values are ours (activity types, outcomes); escaped anyway, as the format requires.
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Head(std::string* out, const char* name, const char* type, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void WorkerMetrics::Histogram::Observe(double v) {
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (v <= kBounds[i]) {
      ++buckets[i];
      break;
    }
  }
  ++count;
  sum += v;
}

WorkerMetrics::WorkerMetrics(int workflow_slots, int activity_slots)
    : slots_{workflow_slots, activity_slots} {}

void WorkerMetrics::Polled(WorkerType type, bool got_task) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(got_task ? poll_succeed_ : poll_empty_)[static_cast<int>(type)];
}

void WorkerMetrics::SlotTaken(WorkerType type) {
  std::lock_guard<std::mutex> lock(mu_);
  ++used_[static_cast<int>(type)];
}

void WorkerMetrics::SlotFreed(WorkerType type) {
  std::lock_guard<std::mutex> lock(mu_);
  --used_[static_cast<int>(type)];
}

void WorkerMetrics::ScheduleToStart(WorkerType type, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  schedule_to_start_[static_cast<int>(type)].Observe(seconds);
}

void WorkerMetrics::WorkflowTaskExecuted(double seconds, bool failed) {
  std::lock_guard<std::mutex> lock(mu_);
  workflow_task_latency_.Observe(seconds);
  if (failed) ++workflow_task_failed_;
}

void WorkerMetrics::ActivityExecuted(const std::string& activity_type, double seconds,
                                     bool failed) {
  std::lock_guard<std::mutex> lock(mu_);
  activity_latency_[activity_type].Observe(seconds);
  uint64_t& f = activity_failed_[activity_type];
  if (failed) ++f;
}

void WorkerMetrics::RunEnded(const std::string& outcome, int64_t events_persisted) {
  std::lock_guard<std::mutex> lock(mu_);
  ++runs_[outcome];
  if (events_persisted > 0) events_persisted_ += static_cast<uint64_t>(events_persisted);
}

std::string WorkerMetrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  auto histogram = [&](const std::string& name, const std::string& labels, const Histogram& h) {
    uint64_t cumulative = 0;
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < kBounds.size(); ++i) {
      cumulative += h.buckets[i];
      out += name + "_bucket{" + labels + sep + "le=\"" + Num(kBounds[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    const std::string braces = labels.empty() ? "" : "{" + labels + "}";
    out += name + "_sum" + braces + " " + Num(h.sum) + "\n";
    out += name + "_count" + braces + " " + std::to_string(h.count) + "\n";
  };
  const WorkerType types[] = {WorkerType::kWorkflow, WorkerType::kActivity};

  Head(&out, "temporal_worker_task_slots_available", "gauge", "Free task slots of the worker.");
  for (WorkerType t : types) {
    const int i = static_cast<int>(t);
    out += std::string("temporal_worker_task_slots_available{worker_type=\"") + TypeTag(t) +
           "\"} " + std::to_string(slots_[i] - used_[i]) + "\n";
  }
  Head(&out, "temporal_worker_task_slots_used", "gauge", "Task slots in use.");
  for (WorkerType t : types) {
    out += std::string("temporal_worker_task_slots_used{worker_type=\"") + TypeTag(t) + "\"} " +
           std::to_string(used_[static_cast<int>(t)]) + "\n";
  }
  const int wf = static_cast<int>(WorkerType::kWorkflow);
  const int act = static_cast<int>(WorkerType::kActivity);
  Head(&out, "temporal_workflow_task_queue_poll_succeed_total", "counter",
       "Workflow task polls that returned a task.");
  out +=
      "temporal_workflow_task_queue_poll_succeed_total " + std::to_string(poll_succeed_[wf]) + "\n";
  Head(&out, "temporal_workflow_task_queue_poll_empty_total", "counter",
       "Workflow task polls that timed out without a task.");
  out += "temporal_workflow_task_queue_poll_empty_total " + std::to_string(poll_empty_[wf]) + "\n";
  Head(&out, "temporal_activity_task_queue_poll_succeed_total", "counter",
       "Activity task polls that returned a task.");
  out += "temporal_activity_task_queue_poll_succeed_total " + std::to_string(poll_succeed_[act]) +
         "\n";
  Head(&out, "temporal_activity_poll_no_task_total", "counter",
       "Activity task polls that timed out without a task.");
  out += "temporal_activity_poll_no_task_total " + std::to_string(poll_empty_[act]) + "\n";
  Head(&out, "temporal_workflow_task_schedule_to_start_latency_seconds", "histogram",
       "From scheduling a workflow task to this worker picking it up.");
  histogram("temporal_workflow_task_schedule_to_start_latency_seconds", "", schedule_to_start_[wf]);
  Head(&out, "temporal_activity_schedule_to_start_latency_seconds", "histogram",
       "From scheduling an activity attempt to this worker picking it up.");
  histogram("temporal_activity_schedule_to_start_latency_seconds", "", schedule_to_start_[act]);
  Head(&out, "temporal_workflow_task_execution_latency_seconds", "histogram",
       "Replaying and deciding one workflow task (the whole history: no sticky cache yet).");
  histogram("temporal_workflow_task_execution_latency_seconds", "", workflow_task_latency_);
  Head(&out, "temporal_workflow_task_execution_failed_total", "counter",
       "Workflow tasks answered with a failure (non-determinism, unreadable history).");
  out += "temporal_workflow_task_execution_failed_total " + std::to_string(workflow_task_failed_) +
         "\n";
  Head(&out, "temporal_activity_execution_latency_seconds", "histogram",
       "Running one activity attempt.");
  for (const auto& [type, h] : activity_latency_) {
    histogram("temporal_activity_execution_latency_seconds",
              "activity_type=\"" + Label(type) + "\"", h);
  }
  Head(&out, "temporal_activity_execution_failed_total", "counter",
       "Activity attempts that ended failed (not canceled).");
  for (const auto& [type, n] : activity_failed_) {
    out += "temporal_activity_execution_failed_total{activity_type=\"" + Label(type) + "\"} " +
           std::to_string(n) + "\n";
  }
  Head(&out, "quarry_runs_total", "counter", "RunQuarryExtraction runs by outcome.");
  for (const auto& [outcome, n] : runs_) {
    out += "quarry_runs_total{outcome=\"" + Label(outcome) + "\"} " + std::to_string(n) + "\n";
  }
  Head(&out, "quarry_events_persisted_total", "counter", "Events the worker's runs stored.");
  out += "quarry_events_persisted_total " + std::to_string(events_persisted_) + "\n";
  return out;
}

double SecondsBetween(int64_t from_seconds, int32_t from_nanos, int64_t to_seconds,
                      int32_t to_nanos) {
  if (from_seconds == 0 && from_nanos == 0) return 0;
  const double d = static_cast<double>(to_seconds - from_seconds) + (to_nanos - from_nanos) / 1e9;
  return d > 0 ? d : 0;
}

}  // namespace quarry::temporal
