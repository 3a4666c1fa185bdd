// The managed browser of a fan-out (cli-and-integrations.md §9 "Browser"): when no explicit or
// reusable endpoint exists, one Chromium serves the root and every child, so a crawl does not
// launch a browser per run. `<executor> --launch-browser <root script>` prints the endpoint as
// its first stdout line (executor-contract.md §21.4) and lives until its stdin closes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "quarry/run/orchestrator.h"
#include "quarry/status.h"

namespace quarry::fanout {

struct ManagedBrowserOptions {
  std::string executor;
  std::string script;        // the root script (the executor resolves its launch settings)
  std::string resolve_from;  // as for runs
  std::vector<std::string> env_pass_through;
  std::vector<std::pair<std::string, std::string>> env;  // the runs' extra environment
  std::chrono::milliseconds start_timeout{30000};
  run::CancelToken* cancel = nullptr;  // cancelling stops the wait for the endpoint
};

class ManagedBrowser {
 public:
  // Starts the browser and waits for its endpoint (must start with ws:// or wss://). On any
  // failure the process tree is killed and the error says why.
  static StatusOr<std::unique_ptr<ManagedBrowser>> Launch(const ManagedBrowserOptions& options);
  ~ManagedBrowser();  // Close()

  const std::string& endpoint() const;
  // Closes its stdin, waits up to 5 s for it to exit, then kills whatever of its tree is left
  // (Chromium included). Idempotent.
  void Close();

 private:
  class Impl;
  explicit ManagedBrowser(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace quarry::fanout
