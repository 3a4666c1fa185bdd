// What a run tells its proxy pool (storage-and-policies.md §8.5): a rotate_proxy seen before the
// policy (so a dropped event still rotates; several in one run make one mark), and at the end
// whether the endpoint failed (docs/proxies.md, "Endpoint health").
#pragma once

#include <functional>
#include <string>

#include "quarry/run/run_config.h"
#include "quarry/run/run_result.h"

namespace quarry::run {

class ProxyFeedback {
 public:
  explicit ProxyFeedback(const RunConfig& c)
      : pool_(c.proxy_pool.get()), selection_(c.proxy_selection) {}

  // `next` wrapped so that rotate_proxy reaches the pool first.
  std::function<void(const Event&)> Observe(std::function<void(const Event&)> next);

  // Records the endpoint's outcome. A failed run whose message says the proxy failed gets a
  // message that names the endpoint (never its password).
  void RunEnded(RunResult* r);

 private:
  proxy::PoolClient* pool_;
  std::optional<proxy::Selection> selection_;
  bool rotated_ = false;  // the ingestion thread only
};

}  // namespace quarry::run
