// The worker's Prometheus exposition: cumulative histogram buckets, slot gauges, label escaping.
#include "worker/worker_metrics.h"

#include <gtest/gtest.h>

namespace quarry::temporal {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(TemporalWorkerMetricsTest, HistogramsAreCumulativeAndSlotsTrackTasks) {
  WorkerMetrics m(2, 3);
  m.Polled(WorkerType::kActivity, true);
  m.Polled(WorkerType::kActivity, false);
  m.Polled(WorkerType::kActivity, false);
  m.SlotTaken(WorkerType::kActivity);
  m.ActivityExecuted("RunQuarryExtraction", 0.02, false);
  m.ActivityExecuted("RunQuarryExtraction", 3.0, true);
  m.RunEnded("success", 7);
  m.RunEnded("script_error", 2);
  const std::string t = m.Render();
  EXPECT_TRUE(Has(t, "temporal_worker_task_slots_available{worker_type=\"ActivityWorker\"} 2"));
  EXPECT_TRUE(Has(t, "temporal_worker_task_slots_used{worker_type=\"ActivityWorker\"} 1"));
  EXPECT_TRUE(Has(t, "temporal_worker_task_slots_available{worker_type=\"WorkflowWorker\"} 2"));
  EXPECT_TRUE(Has(t, "temporal_activity_task_queue_poll_succeed_total 1"));
  EXPECT_TRUE(Has(t, "temporal_activity_poll_no_task_total 2"));
  const std::string h = "temporal_activity_execution_latency_seconds";
  const std::string l = "activity_type=\"RunQuarryExtraction\"";
  EXPECT_TRUE(Has(t, h + "_bucket{" + l + ",le=\"0.01\"} 0"));
  EXPECT_TRUE(Has(t, h + "_bucket{" + l + ",le=\"0.025\"} 1"));
  EXPECT_TRUE(Has(t, h + "_bucket{" + l + ",le=\"2.5\"} 1"));
  EXPECT_TRUE(Has(t, h + "_bucket{" + l + ",le=\"5\"} 2"));
  EXPECT_TRUE(Has(t, h + "_bucket{" + l + ",le=\"+Inf\"} 2"));
  EXPECT_TRUE(Has(t, h + "_count{" + l + "} 2"));
  EXPECT_TRUE(Has(t, "temporal_activity_execution_failed_total{" + l + "} 1"));
  EXPECT_TRUE(Has(t, "quarry_runs_total{outcome=\"success\"} 1"));
  EXPECT_TRUE(Has(t, "quarry_runs_total{outcome=\"script_error\"} 1"));
  EXPECT_TRUE(Has(t, "quarry_events_persisted_total 9"));
  EXPECT_TRUE(Has(t, "# TYPE temporal_workflow_task_execution_latency_seconds histogram"));
}

TEST(TemporalWorkerMetricsTest, LabelValuesAreEscaped) {
  WorkerMetrics m(1, 1);
  m.ActivityExecuted("we\"ird\\type\n", 1, true);
  EXPECT_NE(m.Render().find("activity_type=\"we\\\"ird\\\\type\\n\""), std::string::npos);
}

TEST(TemporalWorkerMetricsTest, ScheduleToStartIsClampedAndUnsetTimesCountAsZero) {
  EXPECT_DOUBLE_EQ(SecondsBetween(10, 0, 12, 500'000'000), 2.5);
  EXPECT_DOUBLE_EQ(SecondsBetween(12, 0, 10, 0), 0);  // clock skew
  EXPECT_DOUBLE_EQ(SecondsBetween(0, 0, 10, 0), 0);   // no scheduled time
}

}  // namespace
}  // namespace quarry::temporal
