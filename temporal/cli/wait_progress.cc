#include "cli/wait_progress.h"

#include <chrono>
#include <cstdio>

namespace quarry::temporal::cli {

WaitProgress::WaitProgress(WorkflowService* svc, std::string workflow_id, std::string run_id,
                           bool enabled)
    : svc_(svc), workflow_id_(std::move(workflow_id)), run_id_(std::move(run_id)) {
  if (enabled) thread_ = std::thread([this] { Loop(); });
}

WaitProgress::~WaitProgress() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
}

void WaitProgress::Loop() {
  const auto start = std::chrono::steady_clock::now();
  wfs::DescribeWorkflowExecutionRequest req;
  req.set_namespace_(svc_->options().namespace_name);
  req.mutable_execution()->set_workflow_id(workflow_id_);
  req.mutable_execution()->set_run_id(run_id_);
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
    lock.unlock();
    auto d = svc_->DescribeWorkflowExecution(req);
    lock.lock();
    if (stop_) break;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char line[256];
    if (d.ok()) {
      std::snprintf(line, sizeof line,
                    "\r\033[K  %s  waiting %.0fs  activities running %d  child workflows running "
                    "%d  history %lld events",
                    d->workflow_execution_info().type().name().c_str(), secs,
                    d->pending_activities_size(), d->pending_children_size(),
                    static_cast<long long>(d->workflow_execution_info().history_length()));
    } else {
      std::snprintf(line, sizeof line, "\r\033[K  waiting %.0fs  (server: %s)", secs,
                    d.status().message().c_str());
    }
    std::fputs(line, stderr);
    std::fflush(stderr);
  }
}

}  // namespace quarry::temporal::cli
