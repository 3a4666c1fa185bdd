#include "worker/activity_worker.h"

#include "client/payload.h"
#include "client/retry.h"
#include "quarry/log.h"
#include "worker/batch_runs_activity.h"
#include "worker/chunk_outcomes_activity.h"
#include "worker/notify_activity.h"
#include "worker/task_deadlines.h"
#include "workflows/batch_params.h"

namespace quarry::temporal {
namespace {

std::chrono::milliseconds FromProto(const google::protobuf::Duration& d) {
  return std::chrono::milliseconds(d.seconds() * 1000 + d.nanos() / 1'000'000);
}

void Info(const std::string& message) { log::Write(log::Level::kInfo, message); }
void Warn(const std::string& message) { log::Write(log::Level::kWarn, message); }

}  // namespace

struct ActivityWorker::Running {
  run::CancelToken cancel;
  RunProgress progress;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  // Why the run was cancelled; decides what Temporal is told.
  bool cancel_requested = false;      // by the workflow: RespondActivityTaskCanceled
  bool abandoned = false;             // activity gone, deadline passed or shutdown: no answer
  std::atomic<bool> finished{false};  // `done` for the heartbeat retries, which hold no lock
  // Our steady clock: when the task arrived and when the server last acknowledged a heartbeat.
  // They bound the retries of every report (worker/task_deadlines.h).
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_heartbeat = received;  // under mu
  std::thread thread;
};

ActivityWorker::ActivityWorker(WorkflowService* service, ActivityWorkerOptions options)
    : service_(service), options_(std::move(options)) {
  if (options_.max_concurrent < 1) options_.max_concurrent = 1;
}

ActivityWorker::~ActivityWorker() {
  StopPolling();
  Join();
}

void ActivityWorker::Start() {
  poller_ = std::thread([this] { PollLoop(); });
}

void ActivityWorker::StopPolling() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void ActivityWorker::CancelRunning(const char* reason) {
  reports_abandoned_.store(true);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, r] : running_) {
    {
      std::lock_guard<std::mutex> rl(r->mu);
      r->abandoned = true;
    }
    r->cancel.Cancel(reason);
  }
}

bool ActivityWorker::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return running_.empty(); });
}

void ActivityWorker::Join() {
  if (poller_.joinable()) poller_.join();
  std::vector<std::thread> threads;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return running_.empty(); });
    threads.swap(finished_);
  }
  for (auto& t : threads) t.join();
}

void ActivityWorker::ReapFinished() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(finished_);
  }
  for (auto& t : threads) t.join();
}

void ActivityWorker::PollLoop() {
  const auto& opts = service_->options();
  std::chrono::milliseconds backoff{0};
  while (true) {
    ReapFinished();
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] {
        return stopping_ || static_cast<int>(running_.size()) < options_.max_concurrent;
      });
      if (stopping_) return;
      if (backoff.count() > 0) {
        cv_.wait_for(lock, backoff, [this] { return stopping_; });
        if (stopping_) return;
      }
    }
    wfs::PollActivityTaskQueueRequest req;
    req.set_namespace_(opts.namespace_name);
    req.mutable_task_queue()->set_name(options_.task_queue);
    req.mutable_task_queue()->set_kind(::temporal::api::enums::v1::TASK_QUEUE_KIND_NORMAL);
    req.set_identity(opts.identity);
    auto resp = service_->PollActivityTaskQueue(req);
    if (!resp.ok()) {
      if (resp.status().code() == StatusCode::kCancelled && service_->polling_stopped()) return;
      if (resp.status().code() != StatusCode::kDeadlineExceeded) {
        // An unreachable server is logged once by the service, not once per poll.
        if (resp.status().code() != StatusCode::kUnavailable) {
          Warn("activity poll failed: " + resp.status().message());
        }
        backoff = std::min(std::max(backoff * 2, std::chrono::milliseconds(200)),
                           std::chrono::milliseconds(5'000));
      }
      continue;
    }
    backoff = std::chrono::milliseconds(0);
    if (options_.metrics)
      options_.metrics->Polled(WorkerType::kActivity, !resp->task_token().empty());
    if (resp->task_token().empty()) continue;
    if (options_.metrics) {
      options_.metrics->SlotTaken(WorkerType::kActivity);
      const auto& from = resp->current_attempt_scheduled_time();
      const auto& to = resp->started_time();
      options_.metrics->ScheduleToStart(
          WorkerType::kActivity,
          SecondsBetween(from.seconds(), from.nanos(), to.seconds(), to.nanos()));
    }
    auto running = std::make_shared<Running>();
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t id = next_id_++;
    running_[id] = running;
    running->thread = std::thread([this, id, running, task = std::move(*resp)]() mutable {
      RunTask(running, std::move(task));
      if (options_.metrics) options_.metrics->SlotFreed(WorkerType::kActivity);
      std::lock_guard<std::mutex> l(mu_);
      finished_.push_back(std::move(running->thread));
      running_.erase(id);
      cv_.notify_all();
    });
  }
}

void ActivityWorker::HeartbeatLoop(Running* r, const wfs::PollActivityTaskQueueResponse& task) {
  const auto& opts = service_->options();
  auto interval = options_.heartbeat_interval;
  const auto timeout = FromProto(task.heartbeat_timeout());
  if (timeout.count() > 0) interval = std::min(interval, timeout * 4 / 5);
  interval = std::max(interval, std::chrono::milliseconds(100));
  const auto start_to_close = FromProto(task.start_to_close_timeout());
  const auto deadline =
      std::chrono::steady_clock::now() +
      (start_to_close.count() > 0 ? start_to_close : std::chrono::hours(24 * 365));

  std::unique_lock<std::mutex> lock(r->mu);
  while (!r->done) {
    auto wake = std::min(std::chrono::steady_clock::now() + interval, deadline);
    r->cv.wait_until(lock, wake, [r] { return r->done; });
    if (r->done) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      r->abandoned = true;
      r->cancel.Cancel("the activity's start-to-close timeout passed");
      return;
    }
    lock.unlock();
    wfs::RecordActivityTaskHeartbeatRequest req;
    req.set_task_token(task.task_token());
    req.set_namespace_(opts.namespace_name);
    req.set_identity(opts.identity);
    *req.mutable_details() = JsonPayloads(r->progress.Details());
    // A heartbeat lost in an outage is retried until the server would time the attempt out;
    // the run's end (the final report takes over) stops the retries.
    RetryUntil until;
    {
      std::lock_guard<std::mutex> l(r->mu);
      until.deadline = ActivityAcceptDeadline(task, r->received, r->last_heartbeat);
    }
    until.stop = [r] { return r->finished.load(); };
    auto resp = RetryTransient<wfs::RecordActivityTaskHeartbeatResponse>(
        until, [&] { return service_->RecordActivityTaskHeartbeat(req); });
    lock.lock();
    if (r->done) return;  // the final report takes over
    if (resp.ok()) r->last_heartbeat = std::chrono::steady_clock::now();
    if (!resp.ok()) {
      if (resp.status().code() == StatusCode::kNotFound) {
        // The server no longer knows this attempt (timed out, workflow closed or reset).
        r->abandoned = true;
        r->cancel.Cancel("the activity no longer exists on the server");
        return;
      }
      Warn("heartbeat for activity " + task.activity_id() + " failed: " + resp.status().message());
      continue;
    }
    if (resp->cancel_requested()) {
      r->cancel_requested = true;
      r->cancel.Cancel("cancellation requested by the workflow");
      return;
    }
  }
}

void ActivityWorker::RunTask(std::shared_ptr<Running> r, wfs::PollActivityTaskQueueResponse task) {
  const auto& opts = service_->options();
  const std::string type = task.activity_type().name();
  const std::string where =
      type + " " + task.workflow_execution().workflow_id() + "/" + task.activity_id();
  Info("activity started: " + where);
  std::thread heartbeat([this, raw = r.get(), &task] { HeartbeatLoop(raw, task); });

  ActivityOutcome outcome;
  const auto began = std::chrono::steady_clock::now();
  auto input = DecodeSingleArgument(task.input());
  if (!input.ok()) {
    outcome.kind = ActivityOutcome::Kind::kFailed;
    outcome.error = {kConfigError, "activity input: " + input.status().message(), true,
                     std::nullopt};
  } else if (type == kExtractionActivity) {
    outcome = RunExtraction(*input, options_.run, &r->cancel, &r->progress);
  } else if (type == kNotifyActivity) {
    outcome = NotifyWebhook(*input, &r->cancel);
  } else if (type == kReadRunsActivity) {
    outcome = ReadBatchRuns(*input);
  } else if (type == kChunkOutcomesActivity) {
    outcome = ReadChunkOutcomes(*input);
  } else {
    outcome.kind = ActivityOutcome::Kind::kFailed;
    outcome.error = {"UNKNOWN_ACTIVITY",
                     "activity type \"" + type + "\" is not registered on this worker", true,
                     std::nullopt};
  }

  if (options_.metrics) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    const bool failed = outcome.kind == ActivityOutcome::Kind::kFailed;
    options_.metrics->ActivityExecuted(type, secs, failed);
    const nlohmann::json* result = !failed                 ? &outcome.result
                                   : outcome.error.details ? &*outcome.error.details
                                                           : nullptr;
    if (type == kExtractionActivity && result && result->is_object()) {
      options_.metrics->RunEnded(result->value("outcome", "unknown"),
                                 result->value("events_persisted", int64_t{0}));
    }
  }

  bool cancel_requested, abandoned;
  {
    std::lock_guard<std::mutex> lock(r->mu);
    r->done = true;
    r->finished.store(true);
    cancel_requested = r->cancel_requested;
    abandoned = r->abandoned;
  }
  r->cv.notify_all();
  heartbeat.join();

  const nlohmann::json details = outcome.kind == ActivityOutcome::Kind::kCompleted
                                     ? outcome.result
                                     : outcome.error.details.value_or(nullptr);
  // Every report is retried through an outage until the server would no longer accept it (the
  // attempt's deadlines, docs/temporal.md "Riding out an outage"): a finished run whose result
  // was lost would be timed out and run again. After the shutdown grace the worker stops trying.
  RetryUntil until;
  {
    std::lock_guard<std::mutex> lock(r->mu);
    until.deadline = ActivityAcceptDeadline(task, r->received, r->last_heartbeat);
  }
  until.stop = [this] { return reports_abandoned_.load(); };
  int calls = 0;
  auto report = [&](auto send) { return RetryTransient(until, send, &calls); };
  Status sent;
  if (cancel_requested) {
    wfs::RespondActivityTaskCanceledRequest req;
    req.set_task_token(task.task_token());
    req.set_namespace_(opts.namespace_name);
    req.set_identity(opts.identity);
    if (!details.is_null()) *req.mutable_details() = JsonPayloads(details);
    sent = report([&] { return service_->RespondActivityTaskCanceled(req).status(); });
    Info("activity canceled: " + where);
  } else if (abandoned) {
    Info("activity stopped without a result: " + where + " (" +
         (r->cancel.reason() ? r->cancel.reason() : "cancelled") + ")");
  } else if (outcome.kind == ActivityOutcome::Kind::kCompleted) {
    wfs::RespondActivityTaskCompletedRequest req;
    req.set_task_token(task.task_token());
    req.set_namespace_(opts.namespace_name);
    req.set_identity(opts.identity);
    *req.mutable_result() = JsonPayloads(outcome.result);
    sent = report([&] { return service_->RespondActivityTaskCompleted(req).status(); });
    Info("activity completed: " + where);
  } else {
    wfs::RespondActivityTaskFailedRequest req;
    req.set_task_token(task.task_token());
    req.set_namespace_(opts.namespace_name);
    req.set_identity(opts.identity);
    *req.mutable_failure() = ToFailure(outcome.error);
    *req.mutable_last_heartbeat_details() = JsonPayloads(r->progress.Details());
    sent = report([&] { return service_->RespondActivityTaskFailed(req).status(); });
    Info("activity failed: " + where + ": " + outcome.error.type + ": " + outcome.error.message);
  }
  if (sent.ok() && calls > 1) {
    Info("activity " + where + ": result reported after " + std::to_string(calls) + " tries");
  } else if (!sent.ok() && calls > 1 && sent.code() == StatusCode::kNotFound) {
    // An earlier try may have reached the server before its answer was lost.
    Info("activity " + where + ": the server no longer knows the task after " +
         std::to_string(calls) + " tries (accepted by an earlier one, or timed out)");
  } else if (!sent.ok()) {
    Warn("reporting activity " + where + " failed: " + sent.message());
  }
}

}  // namespace quarry::temporal
