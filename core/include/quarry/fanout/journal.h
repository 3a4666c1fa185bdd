// The crawl journal: the frontier of a fan-out, persisted in the dataset as the crawl goes, so
// `quarry run --run-id R --resume` continues a crawl that was killed (docs/fanout.md, "Resume").
//
// Layout (through lode::Store only, so it works wherever the dataset lives):
//   datasets/<dataset>/fanout/run_id=<escaped root run id>/journal/<20-digit sequence>.jsonl
// Each object is written once with an exclusive create and holds one or more JSON lines; objects
// are never changed or deleted, so a kill at any moment leaves every object either complete or
// absent. Lines, in order: the `crawl` header, then `task`, `start` and `end` records.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "quarry/fanout/operator.h"
#include "quarry/lode/store.h"
#include "quarry/status.h"

namespace quarry::fanout {

// What identifies a crawl: a resume must ask for the same.
struct CrawlHeader {
  std::string root_run_id;
  int64_t root_attempt = 1;
  std::string script;
  std::string job_json = "{}";
  std::optional<std::string> job_id;
  std::string source;
  std::string category;
  int64_t depth = 0;
  int64_t max_runs = 0;
  std::string created_at;  // RFC 3339 UTC, informative
};

struct JournalAttempt {
  Attempt attempt;
  bool ended = false;
  AttemptResult result;  // valid when ended
};

struct JournalTask {
  Task task;
  std::vector<JournalAttempt> attempts;
};

struct JournalState {
  CrawlHeader header;
  std::vector<JournalTask> tasks;  // in the order they were accepted
  std::vector<JournalAttempt> root_attempts;
  uint64_t next_seq = 0;  // the next object's sequence number
};

// "datasets/<dataset>/fanout/run_id=<escaped root run id>/journal/"
std::string JournalPrefix(const std::string& dataset, const std::string& root_run_id);

// Reads the journal; nullopt when there is none. A malformed object is DataLoss naming it.
StatusOr<std::optional<JournalState>> LoadJournal(lode::Store* store, const std::string& dataset,
                                                  const std::string& root_run_id);

// A resume must describe the same crawl: names the first field that differs.
Status CheckSameCrawl(const CrawlHeader& journal, const CrawlHeader& now);

// What a resume still owes, with `child_retries` allowed per task.
Carryover PlanCarryover(const JournalState& state, int64_t child_retries);

// Writes the journal. Appends are ordered; a background thread batches them into objects.
class Journal : public Recorder {
 public:
  // `on_conflict` is called once if another process writes the same journal (an object name
  // already taken by different bytes): the caller stops the crawl.
  Journal(std::shared_ptr<lode::Store> store, const std::string& dataset,
          const std::string& root_run_id, uint64_t next_seq,
          std::function<void(const std::string&)> on_conflict);
  ~Journal() override;  // writes what is pending
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  Status WriteHeader(const CrawlHeader& header);                          // durable on return
  Status OnRootStart(const Attempt& attempt);                             // durable on return
  Status OnRootEnd(const Attempt& attempt, const AttemptResult& result);  // durable on return

  // Recorder.
  void OnTask(const Task& task) override;
  Status OnStart(const Task& task, const Attempt& attempt) override;
  void OnEnd(const Task& task, const Attempt& attempt, const AttemptResult& result) override;

  // Waits until everything appended so far is written (or the journal failed).
  Status Flush();

 private:
  uint64_t Append(std::string line);  // returns the line's number (1-based)
  Status WaitDurable(uint64_t line);
  void WriterLoop();
  Status PutObject(const std::string& path, const std::string& data);

  const std::shared_ptr<lode::Store> store_;
  const std::string prefix_;
  const std::function<void(const std::string&)> on_conflict_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> pending_;
  uint64_t appended_ = 0;
  uint64_t durable_ = 0;
  uint64_t next_seq_;
  Status failure_;  // once failed, nothing more is written
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace quarry::fanout
