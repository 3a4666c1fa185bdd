#include "browser_choice.h"

namespace quarry::cli {

BrowserChoice ChooseBrowser(const BrowserChoiceInput& in) {
  BrowserChoice choice;
  if (!in.explicit_endpoint.empty()) {
    choice.ws_endpoint = in.explicit_endpoint;
    choice.explicit_endpoint = true;
    return choice;
  }
  if (in.no_browser_reuse) return choice;
  browser::ReuseOptions o;
  o.executor = in.executor;
  o.script = in.script;
  o.discovery_dir = in.discovery_dir;
  o.idle_timeout_seconds = in.idle_timeout_seconds;
  o.cancel = in.cancel;
  choice.ws_endpoint = browser::AcquireOrFallBack(o);
  choice.reused = !choice.ws_endpoint.empty();
  return choice;
}

}  // namespace quarry::cli
