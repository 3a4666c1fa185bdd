// Child runs as real runs (cli-and-integrations.md §9 "Child identity", "Child inherits"): each
// attempt gets its own orchestrator, policy, storage writer (sharing the process's committer),
// metrics collector and metrics record.
#pragma once

#include <functional>

#include "quarry/fanout/operator.h"
#include "quarry/run/run_config.h"

namespace quarry::fanout {

// The config of one child attempt, derived from the root's config. Inherited: executor, storage
// and dataset, policy, event sinks, browser endpoint, resolve-from, timeout, environment. Not
// inherited: the adapter (the caller notifies for the root only), the observer (the caller sets
// the child's own) and the proxy (each run selects its own endpoint, D4). The child's job is the
// task's params, its job_id the root's, and it carries the fan-out link (D5).
run::RunConfig ChildRunConfig(const run::RunConfig& root, const Task& task, const Attempt& attempt);

class RunLauncher : public ChildLauncher {
 public:
  explicit RunLauncher(run::RunConfig root) : root_(std::move(root)) {}

  AttemptResult Run(const Task& task, const Attempt& attempt,
                    const std::function<void(const Event&)>& on_event,
                    run::CancelToken* cancel) override;

 private:
  const run::RunConfig root_;
};

}  // namespace quarry::fanout
