// The fan-out part of `quarry run` (cli-and-integrations.md §4.1 rows 36–38, §9; docs/fanout.md
// for --child-retries and --resume): its flags, the crawl around the root run, its stdout lines.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "quarry/fanout/crawl.h"
#include "quarry/fanout/settings.h"
#include "quarry/run/orchestrator.h"
#include "quarry/run/run_config.h"
#include "quarry/status.h"
#include "signals.h"

namespace quarry::cli {

struct FanoutFlags {
  int64_t depth = 0, max_runs = 0, parallel = 1, child_retries = 0;
  bool resume = false;
  CLI::App* cmd = nullptr;
};

void AddFanoutFlags(CLI::App* cmd, FanoutFlags* flags);

// For RunSpec::fanout (validated with the other pre-run checks).
fanout::Settings FanoutSettings(const FanoutFlags& flags);

// Starts the crawl (journal, managed browser, operator) around `root`; nullptr when fan-out is
// off. Errors are pre-run errors (exit 2).
StatusOr<std::unique_ptr<fanout::Crawl>> StartFanout(const FanoutFlags& flags, run::RunConfig* root,
                                                     run::CancelToken* cancel);

// The stdout lines that stand for the root's result block when a resumed crawl's root ended in
// an earlier invocation.
std::string EarlierRootText(const fanout::JournalAttempt& root);

// After the root's result (§4.5 step 5): waits for the children, then prints the summary unless
// `quiet`. Until the children ended a signal cancels them; afterwards a second one exits 2.
void FinishFanout(fanout::Crawl* crawl, SignalCanceller* signals, bool quiet);

// A resumed crawl whose root ended earlier: that root's line instead of its result block (no
// metrics, notification or report again), the children, the summary. Returns the exit code of
// that root's outcome.
int FinishWithEarlierRoot(fanout::Crawl* crawl, SignalCanceller* signals, bool quiet,
                          bool report_requested);

}  // namespace quarry::cli
