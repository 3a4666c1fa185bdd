// Which browser a `quarry run` uses (cli-and-integrations.md §10.1): an explicit endpoint, else
// the reusable browser server unless reuse is off, else none (the run launches its own browser,
// or fan-out starts a managed one).
#pragma once

#include <string>

#include "quarry/browser/reuse.h"

namespace quarry::run {
class CancelToken;
}

namespace quarry::cli {

struct BrowserChoiceInput {
  std::string explicit_endpoint;  // --browser-ws-endpoint / QUARRY_BROWSER_ENDPOINT / config
  bool no_browser_reuse = false;
  std::string executor;  // resolved executor path (launches the browser server)
  std::string script;    // the root script (argument of --browser-server)
  // Given to a server this run starts (QUARRY_BROWSER_IDLE_TIMEOUT / config browser_idle_timeout).
  int idle_timeout_seconds = browser::kDefaultIdleTimeoutSeconds;
  std::string discovery_dir;                 // "" = the default (§10.2)
  const run::CancelToken* cancel = nullptr;  // a signal during the acquisition aborts it
};

struct BrowserChoice {
  std::string ws_endpoint;         // "" = no shared browser: launch mode or a managed browser
  bool explicit_endpoint = false;  // the run checks it before the executor starts (D7)
  bool reused = false;             // the reusable browser server (§10.3)
};

// Never fails: reuse problems are reported on stderr ("Browser reuse unavailable: ...") and the
// run goes on without reuse.
BrowserChoice ChooseBrowser(const BrowserChoiceInput& in);

}  // namespace quarry::cli
