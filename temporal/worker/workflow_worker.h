// The workflow side of the worker: pollers that take workflow tasks, fetch the rest of the history,
// replay it (workflows/replay.h) and answer with the new commands, or with
// RespondWorkflowTaskFailed (NON_DETERMINISTIC_ERROR) when the code no longer matches history.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "client/workflow_service.h"
#include "worker/worker_metrics.h"
#include "workflows/workflow.h"

namespace quarry::temporal {

struct WorkflowWorkerOptions {
  std::string task_queue = "quarry";
  int max_concurrent_tasks = 2;      // pollers; each handles one task at a time
  WorkerMetrics* metrics = nullptr;  // --metrics-address; none = not collected
};

class WorkflowWorker {
 public:
  WorkflowWorker(WorkflowService* service, WorkflowWorkerOptions options, WorkflowFactory factory);
  ~WorkflowWorker();

  void Start();
  void StopPolling();  // the task in hand is still answered
  void Join();

  // One task: replay and answer. Public for tests.
  // `received`: when the poll returned the task (bounds the retries of its answer).
  // False when the task was answered with a failure.
  bool Process(const wfs::PollWorkflowTaskQueueResponse& task,
               std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now());

 private:
  void PollLoop();

  WorkflowService* service_;
  WorkflowWorkerOptions options_;
  WorkflowFactory factory_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> pollers_;
};

}  // namespace quarry::temporal
