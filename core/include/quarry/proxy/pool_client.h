// A run's handle on its proxy pool: the committed selection before the run, and what the run
// reports back (rotate_proxy, and whether the endpoint failed). Shared by the root run and its
// fan-out children (each child selects again, D4) and by the Temporal activities of one worker.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/proxy/pool.h"
#include "quarry/proxy/selection.h"
#include "quarry/proxy/state_store.h"

namespace quarry::proxy {

class PoolClient {
 public:
  PoolClient(std::shared_ptr<StateStore> store, Pool pool, SelectionRequest request,
             HealthRules rules)
      : store_(std::move(store)),
        pool_(std::move(pool)),
        request_(std::move(request)),
        rules_(rules) {}

  // One committed selection; notices and warnings (state reset, single-endpoint rotation) go to
  // the log as warnings.
  StatusOr<Selection> Select();
  // The run that used `s` asked to rotate (once per run; later events of that run are ignored by
  // the caller).
  void Rotated(const Selection& s);
  // The run that used `s` ended; `failed` marks the endpoint (see IsProxyFailure).
  void RunEnded(const Selection& s, bool failed);

  const Pool& pool() const { return pool_; }
  const SelectionRequest& request() const { return request_; }

 private:
  std::shared_ptr<StateStore> store_;
  Pool pool_;
  SelectionRequest request_;
  HealthRules rules_;
};

// Whether a run's error message says the proxy failed (Chromium's proxy and tunnel errors, and a
// 407 the browser could not answer).
bool IsProxyFailure(std::string_view message);

// "proxy authentication failed for <endpoint> ..." when the message is a 407, else "".
std::string ExplainProxyFailure(std::string_view message, const Endpoint& used);

int64_t NowMs();

}  // namespace quarry::proxy
