// One fan-out crawl of `quarry run --depth N` (cli-and-integrations.md §9, docs/fanout.md): the
// journal (fresh, or resumed with --resume), the managed browser when no endpoint was chosen,
// the child launcher and the operator, wired to the root run.
//
// Usage (the CLI):
//   auto crawl = Crawl::Start(options, &root_config, &cancel);   // pre-run: errors exit 2
//   if (crawl->root_runs()) { run the root with root_config; crawl->RootFinished(result); }
//   fanout::Summary s = crawl->Finish();   // waits for the children, closes the browser
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "quarry/fanout/child_run.h"
#include "quarry/fanout/journal.h"
#include "quarry/fanout/managed_browser.h"
#include "quarry/fanout/operator.h"
#include "quarry/run/orchestrator.h"
#include "quarry/run/run_config.h"

namespace quarry::fanout {

struct CrawlOptions {
  Limits limits;
  bool resume = false;
  // Started when the root config has no browser endpoint (tests may turn it off).
  bool managed_browser = true;
};

class Crawl {
 public:
  // Reads or creates the journal of the crawl whose root run id is root->meta.run_id, and
  // prepares the root: with --resume an interrupted root runs again as a new attempt (new run
  // id, attempt + 1, parent_run_id = the interrupted one), so `root` may change. Sets the
  // managed browser's endpoint on `root` and chains the fan-out hook into its observer.
  static StatusOr<std::unique_ptr<Crawl>> Start(const CrawlOptions& options, run::RunConfig* root,
                                                run::CancelToken* cancel);
  ~Crawl();

  // False when a resumed crawl's root already ended in an earlier invocation.
  bool root_runs() const { return !earlier_root_.has_value(); }
  // That earlier root attempt and how it ended.
  const std::optional<JournalAttempt>& earlier_root() const { return earlier_root_; }

  // The root run ended (its result is final: metrics, notification and report are done).
  void RootFinished(const run::RunResult& result, bool canceled);

  // Waits until every child ended, closes the managed browser, returns the summary.
  Summary Finish();

 private:
  Crawl() = default;

  std::optional<JournalAttempt> earlier_root_;
  Attempt root_attempt_;
  std::unique_ptr<ManagedBrowser> browser_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RunLauncher> launcher_;
  std::unique_ptr<Operator> op_;
  // op_ for the journal's writer thread, which may report a conflict while Start() runs.
  std::atomic<Operator*> op_for_conflicts_{nullptr};
  bool finished_ = false;
};

}  // namespace quarry::fanout
