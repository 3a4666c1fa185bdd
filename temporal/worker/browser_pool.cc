#include "worker/browser_pool.h"

namespace quarry::temporal {

std::string BrowserPool::EndpointFor(const std::string& executor, const std::string& script,
                                     const run::CancelToken* cancel,
                                     const log::RunContext* log_ctx) const {
  if (!options_.enabled) return "";
  browser::ReuseOptions o;
  o.executor = executor;
  o.script = script;
  o.discovery_dir = options_.discovery_dir;
  o.idle_timeout_seconds = options_.idle_timeout_seconds;
  o.cancel = cancel;
  // Concurrent activities serialize on browser.lock (one descriptor each), like processes do.
  return browser::AcquireOrFallBack(o, log_ctx);
}

}  // namespace quarry::temporal
