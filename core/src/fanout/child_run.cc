#include "quarry/fanout/child_run.h"

#include "quarry/json/canonical_json.h"
#include "quarry/log.h"
#include "quarry/run/orchestrator.h"

namespace quarry::fanout {

run::RunConfig ChildRunConfig(const run::RunConfig& root, const Task& task,
                              const Attempt& attempt) {
  run::RunConfig c = root;
  c.script_path = task.target;  // passed as given: the executor resolves it against our cwd
  c.job_json = task.params_json;
  c.meta.run_id = attempt.run_id;
  c.meta.attempt = attempt.attempt;
  c.meta.job_id = root.meta.job_id;
  c.meta.parent_run_id = attempt.parent_run_id;
  c.source = task.source;
  c.category = task.category;
  c.adapter.reset();
  c.proxy.reset();  // selected again from c.proxy_pool by the launcher
  c.proxy_selection.reset();
  c.resume.reset();
  c.observer = {};
  c.fanout = task.link;
  return c;
}

AttemptResult RunLauncher::Run(const Task& task, const Attempt& attempt,
                               const std::function<void(const Event&)>& on_event,
                               run::CancelToken* cancel) {
  run::RunConfig config = ChildRunConfig(root_, task, attempt);
  const log::RunContext ctx{config.meta.run_id, config.meta.attempt, config.meta.job_id,
                            config.meta.parent_run_id};
  // Each child makes its own committed selection with the root's inputs (D4).
  if (Status s = run::SelectProxy(&config); !s.ok()) {
    AttemptResult failed;
    failed.outcome = run::Outcome::kScriptError;
    failed.message = s.message();
    log::Write(log::Level::kWarn, "fan-out: child run not started: " + failed.message, &ctx);
    return failed;
  }
  config.observer.on_event = on_event;
  config.observer.on_stderr_line = [ctx](std::string_view line) {
    log::Write(log::Level::kDebug, line, &ctx, R"({"stream":"executor_stderr"})");
  };
  log::Write(log::Level::kDebug, "fan-out: child run started", &ctx,
             json::ObjectBuilder()
                 .AddString("target", task.target)
                 .AddInt("fanout_depth", task.link.depth)
                 .AddString("enqueued_by_run_id", task.link.enqueued_by_run_id)
                 .Build());
  run::RunOrchestrator orchestrator(std::move(config));
  run::RunResult r = orchestrator.Execute(cancel);
  if (Status s = orchestrator.PersistMetrics(r); !s.ok()) {
    log::Write(log::Level::kWarn, "failed to persist the metrics record: " + s.message(), &ctx);
  }
  if (r.outcome != run::Outcome::kSuccess) {
    log::Write(log::Level::kWarn, "fan-out: child run failed: " + r.message, &ctx,
               json::ObjectBuilder()
                   .AddString("outcome", run::OutcomeName(r.outcome))
                   .AddString("target", task.target)
                   .Build());
  }
  AttemptResult out;
  out.outcome = r.outcome;
  out.events = r.event_count;
  out.duration_ms = r.duration_ms;
  out.message = r.message;
  return out;
}

}  // namespace quarry::fanout
