#include "quarry/fanout/operator.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "quarry/fanout/enqueue.h"
#include "quarry/fanout/run_id.h"
#include "quarry/json/canonical_json.h"
#include "quarry/log.h"

namespace quarry::fanout {

using Clock = std::chrono::steady_clock;

Operator::Operator(Limits limits, ChildLauncher* launcher, Recorder* recorder)
    : limits_(limits), launcher_(launcher), recorder_(recorder) {
  summary_.child_retries = limits_.child_retries;
}

Operator::~Operator() {
  if (started_ && !waited_) {
    Cancel("canceled");
    Wait();
  }
  if (relay_stop_fd_ >= 0) ::close(relay_stop_fd_);
}

void Operator::Restore(Carryover c) {
  std::lock_guard lk(mu_);
  for (auto& key : c.known_keys) seen_.insert(std::move(key));
  scheduled_ = static_cast<int64_t>(seen_.size());
  for (auto& p : c.pending) {
    Item item;
    item.next.attempt = p.next_attempt;
    item.next.parent_run_id = std::move(p.parent_run_id);
    item.failures = p.failures;
    item.is_retry = !p.interrupted && p.failures > 0;
    item.ready_at = Clock::now();
    item.task = std::move(p.task);
    if (p.interrupted) ++summary_.rerun_interrupted;
    queue_.push_back(std::move(item));
  }
  for (auto& run : c.finished_runs) {
    run.earlier = true;
    summary_.runs.push_back(std::move(run));
  }
  summary_.retries = c.retries;
  summary_.exhausted = c.exhausted;
  summary_.resumed = true;
}

void Operator::Start(run::CancelToken* crawl_cancel) {
  started_ = true;
  const int64_t n = std::max<int64_t>(1, limits_.parallel);
  for (int64_t i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  if (crawl_cancel != nullptr) {
    relay_stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    relay_ = std::thread([this, crawl_cancel] { RelayLoop(crawl_cancel); });
  }
}

// The crawl's token is cancelled from a signal thread that knows nothing of the children: this
// thread turns it into Cancel(), which reaches every running child's own token.
void Operator::RelayLoop(run::CancelToken* crawl_cancel) {
  pollfd fds[2] = {{crawl_cancel->fd(), POLLIN, 0}, {relay_stop_fd_, POLLIN, 0}};
  while (true) {
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN) != 0) return;
    if (crawl_cancel->cancelled()) {
      const char* reason = crawl_cancel->reason();
      Cancel(reason != nullptr ? reason : "canceled");
      return;
    }
  }
}

void Operator::OnEvent(const Enqueuer& from, const Event& ev) {
  if (ev.Type() != "enqueue") return;
  std::optional<EnqueueRequest> req = ParseEnqueue(ev);
  const int64_t depth = from.depth + 1;
  std::string key;
  if (req && depth <= limits_.depth) key = DedupKey(req->target, req->params_json);

  std::lock_guard lk(mu_);
  ++summary_.received;
  const char* skip = nullptr;
  if (!req) {
    skip = "target missing, empty or not a string";
  } else if (depth > limits_.depth) {
    skip = "deeper than --depth";
  } else if (seen_.contains(key)) {
    ++summary_.deduped;
    log::Write(log::Level::kDebug, "fan-out: enqueue deduplicated", nullptr,
               json::ObjectBuilder().AddString("enqueued_by_run_id", from.run_id).Build());
    return;
  } else if (scheduled_ >= limits_.max_runs) {
    skip = "--max-runs children already scheduled";
  }
  if (skip != nullptr) {
    ++summary_.skipped;
    log::Write(log::Level::kDebug, std::string("fan-out: enqueue skipped: ") + skip, nullptr,
               json::ObjectBuilder()
                   .AddString("enqueued_by_run_id", from.run_id)
                   .AddInt("depth", depth)
                   .Build());
    return;
  }
  seen_.insert(key);
  ++scheduled_;
  Item item;
  item.task.key = std::move(key);
  item.task.target = std::move(req->target);
  item.task.params_json = std::move(req->params_json);
  // D11.16: the enqueue's own values, else the enqueuing run's effective ones.
  item.task.source = req->source.empty() ? from.source : std::move(req->source);
  item.task.category = req->category.empty() ? from.category : std::move(req->category);
  item.task.link = {from.run_id, std::move(req->event_id), depth};
  item.ready_at = Clock::now();
  // Under the lock, so the journal holds tasks in the order they were accepted.
  if (recorder_ != nullptr) recorder_->OnTask(item.task);
  queue_.push_back(std::move(item));
  cv_.notify_all();
}

void Operator::RootDone() {
  std::lock_guard lk(mu_);
  root_done_ = true;
  cv_.notify_all();
}

void Operator::Cancel(const char* reason) {
  std::lock_guard lk(mu_);
  if (cancelled_) return;
  cancelled_ = true;
  cancel_reason_ = reason;
  for (run::CancelToken* t : running_) t->Cancel(reason);
  cv_.notify_all();
}

bool Operator::DoneLocked() const { return root_done_ && queue_.empty() && busy_ == 0; }

std::chrono::milliseconds Operator::Backoff(int64_t failures) const {
  auto d = limits_.retry_base;
  for (int64_t i = 1; i < failures && d < limits_.retry_cap; ++i) d *= 2;
  return std::min(d, limits_.retry_cap);
}

void Operator::WorkerLoop() {
  std::unique_lock lk(mu_);
  while (true) {
    if (cancelled_) break;
    if (DoneLocked()) {
      cv_.notify_all();
      break;
    }
    const auto now = Clock::now();
    auto it = std::find_if(queue_.begin(), queue_.end(),
                           [&](const Item& i) { return i.ready_at <= now; });
    if (it == queue_.end()) {
      if (queue_.empty()) {
        cv_.wait(lk);
      } else {
        auto earliest =
            std::min_element(queue_.begin(), queue_.end(), [](const Item& a, const Item& b) {
              return a.ready_at < b.ready_at;
            })->ready_at;
        cv_.wait_until(lk, earliest);
      }
      continue;
    }
    Item item = std::move(*it);
    queue_.erase(it);
    ++busy_;
    if (item.is_retry) ++summary_.retries;
    run::CancelToken token;
    running_.push_back(&token);
    lk.unlock();

    item.next.run_id = NewRunId();
    if (recorder_ != nullptr) {
      // A journal that cannot be written costs the ability to resume, not the crawl: the
      // recorder says so once.
      (void)recorder_->OnStart(item.task, item.next);
    }
    const Enqueuer self{item.next.run_id, item.task.link.depth, item.task.source,
                        item.task.category};
    AttemptResult res = launcher_->Run(
        item.task, item.next, [this, self](const Event& ev) { OnEvent(self, ev); }, &token);
    if (token.cancelled() && res.outcome != run::Outcome::kSuccess) res.canceled = true;
    if (recorder_ != nullptr) recorder_->OnEnd(item.task, item.next, res);

    lk.lock();
    running_.erase(std::find(running_.begin(), running_.end(), &token));
    --busy_;
    summary_.runs.push_back({item.task.key, item.next, res, false});
    if (res.outcome != run::Outcome::kSuccess && !res.canceled) {
      const int64_t failures = item.failures + 1;
      if (failures <= limits_.child_retries && !cancelled_) {
        Item retry;
        retry.next.attempt = item.next.attempt + 1;
        retry.next.parent_run_id = item.next.run_id;
        retry.failures = failures;
        retry.is_retry = true;
        retry.ready_at = Clock::now() + Backoff(failures);
        retry.task = std::move(item.task);
        queue_.push_back(std::move(retry));
      } else if (!cancelled_) {
        ++summary_.exhausted;
      }
    }
    cv_.notify_all();
  }
}

Summary Operator::Wait() {
  {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return (cancelled_ && busy_ == 0) || DoneLocked(); });
    cv_.notify_all();
  }
  for (auto& w : workers_) w.join();
  workers_.clear();
  if (relay_.joinable()) {
    const uint64_t one = 1;
    (void)!::write(relay_stop_fd_, &one, sizeof one);
    relay_.join();
  }
  waited_ = true;
  std::lock_guard lk(mu_);
  Summary s = summary_;
  std::sort(s.runs.begin(), s.runs.end(), [](const ChildRun& a, const ChildRun& b) {
    return a.attempt.run_id < b.attempt.run_id;
  });
  return s;
}

}  // namespace quarry::fanout
