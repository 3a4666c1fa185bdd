// The live line `start --wait`, `batch --wait` and `result` draw on a terminal while the workflow
// runs: elapsed time, activities and child workflows in flight, history length. Read every second
// with DescribeWorkflowExecution; erased before the result is printed. Inactive when stderr is not
// a terminal.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "client/workflow_service.h"

namespace quarry::temporal::cli {

class WaitProgress {
 public:
  WaitProgress(WorkflowService* svc, std::string workflow_id, std::string run_id, bool enabled);
  ~WaitProgress();  // stops and erases

 private:
  void Loop();

  WorkflowService* svc_;
  const std::string workflow_id_;
  const std::string run_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace quarry::temporal::cli
