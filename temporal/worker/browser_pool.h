// `quarry-temporal worker` shares one reusable browser server across its activities
// (cli-and-integrations.md §10, the same discovery directory, lock and browser.json as
// `quarry run` on the host: a worker and CLI runs of the same user share one Chromium). Each
// activity's run connects and gets its own browser context; a server that crashed or stopped
// answering is found stale by the next acquisition and replaced, so a dead browser costs at most
// the attempt that was using it (a retryable EXECUTOR_CRASH), never the worker.
#pragma once

#include <string>

#include "quarry/browser/reuse.h"
#include "quarry/log.h"

namespace quarry::run {
class CancelToken;
}

namespace quarry::temporal {

struct BrowserPoolOptions {
  bool enabled = true;                                             // --no-browser-reuse: false
  int idle_timeout_seconds = browser::kDefaultIdleTimeoutSeconds;  // --browser-idle-timeout
  std::string discovery_dir;                                       // "" = the default (§10.2)
};

class BrowserPool {
 public:
  explicit BrowserPool(BrowserPoolOptions options) : options_(std::move(options)) {}

  // The endpoint one activity's run connects to, or "" (the run launches its own browser) after
  // "Browser reuse unavailable: ..." was logged. `executor` is the resolved executor path,
  // `script` the run's script (the server's argument).
  std::string EndpointFor(const std::string& executor, const std::string& script,
                          const run::CancelToken* cancel, const log::RunContext* log_ctx) const;

  bool enabled() const { return options_.enabled; }

 private:
  BrowserPoolOptions options_;
};

}  // namespace quarry::temporal
