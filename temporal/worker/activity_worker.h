// The activity side of the worker: one poller that takes a task only when a slot is free (at most
// max_concurrent activities run at once; each drives a browser), a thread per running activity,
// and a heartbeat loop per activity that carries progress and learns about cancellation.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/workflow_service.h"
#include "worker/extraction_activity.h"
#include "worker/worker_metrics.h"

namespace quarry::temporal {

struct ActivityWorkerOptions {
  std::string task_queue = kTaskQueueDefault;
  int max_concurrent = 2;
  // Upper bound; the interval used is min(this, 0.8 x the activity's heartbeat timeout).
  std::chrono::milliseconds heartbeat_interval{30'000};
  WorkerRunSettings run;
  WorkerMetrics* metrics = nullptr;  // --metrics-address; none = not collected
};

class ActivityWorker {
 public:
  ActivityWorker(WorkflowService* service, ActivityWorkerOptions options);
  ~ActivityWorker();

  void Start();
  // No new tasks are taken; running ones continue.
  void StopPolling();
  // Cancels every running activity through the orchestrator's cancel path (grace is over). They
  // do not report to Temporal: the server times them out and the workflow retries.
  void CancelRunning(const char* reason);
  // Waits up to `timeout` for running activities to end; true when none is left.
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Joins every thread (after StopPolling).
  void Join();

 private:
  struct Running;
  void PollLoop();
  void RunTask(std::shared_ptr<Running> running, wfs::PollActivityTaskQueueResponse task);
  void HeartbeatLoop(Running* running, const wfs::PollActivityTaskQueueResponse& task);
  void ReapFinished();

  WorkflowService* service_;
  ActivityWorkerOptions options_;
  std::thread poller_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> reports_abandoned_{false};  // CancelRunning: the grace period is over
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::shared_ptr<Running>> running_;
  std::vector<std::thread> finished_;
};

}  // namespace quarry::temporal
