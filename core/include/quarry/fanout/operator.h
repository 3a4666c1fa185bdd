// The fan-out operator of `quarry run --depth N` (cli-and-integrations.md §9): sees every accepted
// `enqueue` event of the root and of every child (the runs' observer hook, before the policy),
// applies the depth, dedup and --max-runs rules, and runs the accepted children from a FIFO queue
// on --parallel workers, concurrently with the root.
//
// Usage:
//   fanout::Operator op(limits, &launcher, &journal);   // journal may be null
//   op.Start(&cancel);                 // workers; `cancel` (the CLI's token) cancels the crawl
//   root observer: op.OnEvent({root_run_id, 0, source, category}, ev)
//   ... the root runs ...
//   op.RootDone();
//   fanout::Summary s = op.Wait();     // when the root is done, the queue empty, no child running
//
// Beyond §9 (docs/fanout.md): failed children are retried (--child-retries) and a crawl can carry
// over the work of an earlier invocation (--resume, through Restore()).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "quarry/event.h"
#include "quarry/lode/run_writer.h"
#include "quarry/run/orchestrator.h"
#include "quarry/run/run_result.h"
#include "quarry/status.h"

namespace quarry::fanout {

struct Limits {
  int64_t depth = 1;     // children deeper than this are skipped (root = 0)
  int64_t max_runs = 1;  // tasks accepted over the whole crawl; retries do not count
  int64_t parallel = 1;  // children running at once
  int64_t child_retries = 0;
  // Backoff before retry k (k = 1, 2, ...): min(retry_base * 2^(k-1), retry_cap).
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_cap{30000};
};

// One accepted `enqueue`: the child the crawl owes.
struct Task {
  std::string key;          // DedupKey(target, params_json)
  std::string target;       // script path as enqueued (resolved against the working directory)
  std::string params_json;  // the child's job
  std::string source;       // effective: the enqueue's override or the enqueuing run's value
  std::string category;
  lode::FanoutLink link;  // enqueuing run, its enqueue event, the child's depth
};

// The identity of one attempt of a task (or of the root).
struct Attempt {
  std::string run_id;
  int64_t attempt = 1;
  std::optional<std::string> parent_run_id;
};

struct AttemptResult {
  run::Outcome outcome = run::Outcome::kExecutorCrash;
  int64_t events = 0;  // the run's event count (last accepted seq)
  int64_t duration_ms = 0;
  std::string message;
  // Ended because the crawl was cancelled: not a failure of the child, so it is neither retried
  // nor counted against --child-retries, and a resumed crawl runs the task again.
  bool canceled = false;
};

// One child run that ended, for the summary.
struct ChildRun {
  std::string key;
  Attempt attempt;
  AttemptResult result;
  bool earlier = false;  // ended in an earlier invocation (--resume)
};

// The run that sent an `enqueue` event: what its children inherit.
struct Enqueuer {
  std::string run_id;
  int64_t depth = 0;
  std::string source;
  std::string category;
};

struct Summary {
  uint64_t received = 0;
  uint64_t deduped = 0;
  uint64_t skipped = 0;
  std::vector<ChildRun> runs;  // every attempt that ended, sorted by run_id
  int64_t child_retries = 0;   // the --child-retries setting (the summary names retries if > 0)
  uint64_t retries = 0;        // attempts started because the previous one failed
  uint64_t exhausted = 0;      // tasks whose last attempt failed with no retry left
  bool resumed = false;
  uint64_t rerun_interrupted = 0;  // tasks an earlier invocation left running, run again
};

// The text block of §9 ("=== Fan-Out Summary ===" ...), with the retry and resume lines of
// docs/fanout.md only when those features were used.
std::string FormatSummary(const Summary& summary);

// Runs one attempt of a child and blocks until it ended. `on_event` must see every accepted
// event of the child (it feeds grandchildren back into the operator); `cancel` is cancelled when
// the crawl is. Called from several worker threads at once.
class ChildLauncher {
 public:
  virtual ~ChildLauncher() = default;
  virtual AttemptResult Run(const Task& task, const Attempt& attempt,
                            const std::function<void(const Event&)>& on_event,
                            run::CancelToken* cancel) = 0;
};

// Durable record of the crawl (the --resume journal). OnTask and OnEnd may buffer; OnStart
// returns once the start is durable, so an attempt that ran is always known to a later resume.
class Recorder {
 public:
  virtual ~Recorder() = default;
  virtual void OnTask(const Task& task) = 0;
  virtual Status OnStart(const Task& task, const Attempt& attempt) = 0;
  virtual void OnEnd(const Task& task, const Attempt& attempt, const AttemptResult& result) = 0;
};

// Work of an earlier invocation of the same crawl (--resume).
struct Carryover {
  struct Pending {
    Task task;
    int64_t next_attempt = 1;
    std::optional<std::string> parent_run_id;  // the previous attempt, when there is one
    int64_t failures = 0;                      // failed attempts so far (against --child-retries)
    bool interrupted = false;                  // its last attempt never ended (or was cancelled)
  };
  std::vector<std::string> known_keys;  // every task ever accepted: dedup set and --max-runs
  std::vector<Pending> pending;         // to run, in the order they were accepted
  std::vector<ChildRun> finished_runs;  // attempts that ended earlier
  uint64_t retries = 0;                 // retry attempts started earlier
  uint64_t exhausted = 0;               // tasks that failed on every attempt allowed
};

class Operator {
 public:
  // `launcher` and `recorder` (may be null) must outlive the operator.
  Operator(Limits limits, ChildLauncher* launcher, Recorder* recorder = nullptr);
  ~Operator();  // cancels and waits when still running
  Operator(const Operator&) = delete;
  Operator& operator=(const Operator&) = delete;

  // Before Start().
  void Restore(Carryover carryover);

  // Starts the workers. Cancelling `crawl_cancel` (nullable) cancels the crawl (see Cancel()).
  void Start(run::CancelToken* crawl_cancel);

  // The observer hook: an accepted event of `from`. Only `enqueue` events matter. Thread-safe;
  // short (parsing, one hash, a queue push), so it may run on a run's ingestion thread.
  void OnEvent(const Enqueuer& from, const Event& ev);

  // The root run ended: once the queue drains and no child runs, the crawl is done.
  void RootDone();

  // Stops dispatching, cancels every running child (their trees are killed by their runs) and
  // lets Wait() return once they ended. Tasks still queued stay unrun (a resume runs them).
  void Cancel(const char* reason);

  // Blocks until the crawl is done (or cancelled and every child ended); joins the workers.
  Summary Wait();

 private:
  struct Item {
    Task task;
    Attempt next;  // run_id filled when it starts
    int64_t failures = 0;
    bool is_retry = false;  // started because the previous attempt failed
    std::chrono::steady_clock::time_point ready_at;
  };

  void WorkerLoop();
  void RelayLoop(run::CancelToken* crawl_cancel);
  bool DoneLocked() const;  // requires mu_
  std::chrono::milliseconds Backoff(int64_t failures) const;

  const Limits limits_;
  ChildLauncher* const launcher_;
  Recorder* const recorder_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> seen_;  // dedup keys of accepted tasks
  int64_t scheduled_ = 0;       // accepted tasks (against --max-runs)
  std::deque<Item> queue_;      // FIFO; retries wait here until ready_at
  int64_t busy_ = 0;
  bool root_done_ = false;
  bool cancelled_ = false;
  const char* cancel_reason_ = "canceled";
  std::vector<run::CancelToken*> running_;  // tokens of the children running now
  Summary summary_;

  std::vector<std::thread> workers_;
  std::thread relay_;
  int relay_stop_fd_ = -1;
  bool started_ = false;
  bool waited_ = false;
};

}  // namespace quarry::fanout
