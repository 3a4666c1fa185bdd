#include "fanout_command.h"

#include <cstdio>
#include <cstdlib>

#include "quarry/duration.h"
#include "quarry/log.h"
#include "quarry/redact.h"

namespace quarry::cli {
namespace {

// Testing knob, not a user setting: the first retry backoff in milliseconds (default 1000).
constexpr char kRetryBaseEnv[] = "QUARRY_CHILD_RETRY_BASE_MS";

std::chrono::milliseconds RetryBase() {
  const char* v = std::getenv(kRetryBaseEnv);
  if (v == nullptr || *v == '\0') return std::chrono::milliseconds(1000);
  char* end = nullptr;
  long long ms = std::strtoll(v, &end, 10);
  if (*end != '\0' || ms < 0) return std::chrono::milliseconds(1000);
  return std::chrono::milliseconds(ms);
}

}  // namespace

void AddFanoutFlags(CLI::App* cmd, FanoutFlags* f) {
  f->cmd = cmd;
  cmd->add_option("--depth", f->depth,
                  "Fan-out: run a child for each enqueue up to this depth (0 = off)");
  cmd->add_option("--max-runs", f->max_runs,
                  "Fan-out: most child runs of the whole crawl (required with --depth)");
  cmd->add_option("--parallel", f->parallel, "Fan-out: child runs at once (default 1)");
  cmd->add_option("--child-retries", f->child_retries,
                  "Fan-out: retry a failed child up to N times, with backoff (default 0)");
  cmd->add_flag("--resume", f->resume,
                "Fan-out: continue the crawl of this --run-id from its journal in the dataset");
}

fanout::Settings FanoutSettings(const FanoutFlags& f) {
  fanout::Settings s;
  s.depth = f.depth;
  s.max_runs = f.max_runs;
  s.parallel = f.parallel;
  s.parallel_set = f.cmd != nullptr && f.cmd->count("--parallel") > 0;
  s.child_retries = f.child_retries;
  s.resume = f.resume;
  return s;
}

StatusOr<std::unique_ptr<fanout::Crawl>> StartFanout(const FanoutFlags& f, run::RunConfig* root,
                                                     run::CancelToken* cancel) {
  if (f.depth <= 0) return std::unique_ptr<fanout::Crawl>();
  fanout::CrawlOptions o;
  o.limits.depth = f.depth;
  o.limits.max_runs = f.max_runs;
  o.limits.parallel = f.parallel;
  o.limits.child_retries = f.child_retries;
  o.limits.retry_base = RetryBase();
  o.resume = f.resume;
  return fanout::Crawl::Start(o, root, cancel);
}

std::string EarlierRootText(const fanout::JournalAttempt& root) {
  return "\nrun_id=" + PrintableValue(root.attempt.run_id, 256) +
         ", attempt=" + std::to_string(root.attempt.attempt) +
         ", outcome=" + std::string(run::OutcomeName(root.result.outcome)) +
         ", duration=" + FormatDuration(std::chrono::milliseconds(root.result.duration_ms)) +
         "\n(the root run ended in an earlier invocation of this crawl and was not run again)\n";
}

void FinishFanout(fanout::Crawl* crawl, SignalCanceller* signals, bool quiet) {
  fanout::Summary summary = crawl->Finish();
  signals->EnterFinalization();
  if (quiet) return;
  std::string text = fanout::FormatSummary(summary);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

int FinishWithEarlierRoot(fanout::Crawl* crawl, SignalCanceller* signals, bool quiet,
                          bool report_requested) {
  const fanout::JournalAttempt& root = *crawl->earlier_root();
  if (report_requested) {
    log::Warning("no report written: the root run ended in an earlier invocation of this crawl");
  }
  if (!quiet) {
    std::string text = EarlierRootText(root);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  FinishFanout(crawl, signals, quiet);
  return run::OutcomeExitCode(root.result.outcome);
}

}  // namespace quarry::cli
