#include "cli/worker_command.h"

#include <signal.h>
#include <time.h>

#include <memory>
#include <random>

#include "cli/connection_flags.h"
#include "client/retry.h"
#include "config_file.h"    // quarry's own CLI library: the --config file
#include "proxy_options.h"  // and its proxy pools
#include "quarry/duration.h"
#include "quarry/log.h"
#include "quarry/orphan_guard.h"
#include "worker/activity_worker.h"
#include "worker/browser_pool.h"
#include "worker/metrics_server.h"
#include "worker/workflow_worker.h"
#include "workflows/registry.h"

namespace quarry::temporal::cli {
namespace {

struct WorkerFlags {
  ConnectionOptions conn;
  std::string task_queue = kTaskQueueDefault;
  int max_concurrent_activities = 2;
  int max_concurrent_workflow_tasks = 2;
  std::string shutdown_grace = "30s";
  std::string heartbeat_interval = "30s";
  std::string executor;
  std::string browser_ws_endpoint;
  bool no_browser_reuse = false;
  std::string browser_idle_timeout;  // "" = QUARRY_BROWSER_IDLE_TIMEOUT, else 60 s
  // Proxy pools for runs whose input names one (docs/temporal.md, "Proxies").
  std::string config;
  ::quarry::cli::ProxyFlags proxy;
  std::string metrics_address;  // "" = no /metrics endpoint
};

// The pools of --config / --proxy-config and the host's selection state; errors are one line.
Status LoadWorkerProxies(const WorkerFlags& f, WorkerRunSettings* run) {
  std::optional<::quarry::cli::ConfigFile> config;
  if (!f.config.empty()) {
    auto c = ::quarry::cli::LoadConfigFile(f.config);
    if (!c.ok()) return InvalidArgumentError("failed to load config: " + c.status().message());
    config = std::move(c).value();
  }
  QUARRY_ASSIGN_OR_RETURN(
      ::quarry::cli::ProxySources sources,
      ::quarry::cli::LoadProxySources(config ? &*config : nullptr, f.proxy.proxy_config,
                                      [](const std::string& w) { log::Warning(w); }));
  if (!sources.any()) return Status::Ok();
  auto store = proxy::StateStore::Open(proxy::StateStore::DefaultDir());
  if (!store.ok()) return InvalidArgumentError("proxy setup failed: " + store.status().message());
  run->proxy_pools = sources.pools;
  run->proxy_rules = sources.rules;
  run->proxy_state = std::shared_ptr<proxy::StateStore>(std::move(store).value());
  return Status::Ok();
}

StatusOr<std::chrono::milliseconds> PositiveMillis(const std::string& text, const char* flag) {
  auto d = ParseDuration(text);
  if (!d.ok()) return InvalidArgumentError(std::string(flag) + ": " + d.status().message());
  if (d->count() < 0) return InvalidArgumentError(std::string(flag) + " must not be negative");
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

int RunWorker(WorkerFlags& f) {
  if (f.max_concurrent_activities < 1) {
    PrintError("--max-concurrent-activities must be >= 1");
    return 2;
  }
  if (f.max_concurrent_workflow_tasks < 1) {
    PrintError("--max-concurrent-workflow-tasks must be >= 1");
    return 2;
  }
  auto grace = PositiveMillis(f.shutdown_grace, "--shutdown-grace");
  auto heartbeat = PositiveMillis(f.heartbeat_interval, "--heartbeat-interval");
  if (!grace.ok() || !heartbeat.ok()) {
    PrintError((grace.ok() ? heartbeat.status() : grace.status()).message());
    return 2;
  }
  if (heartbeat->count() == 0) {
    PrintError("--heartbeat-interval must be positive");
    return 2;
  }
  if (f.task_queue.empty()) {
    PrintError("--task-queue must not be empty");
    return 2;
  }
  if (f.browser_ws_endpoint.empty()) {
    if (const char* env = std::getenv("QUARRY_BROWSER_ENDPOINT"); env && *env) {
      f.browser_ws_endpoint = env;
    }
  }
  BrowserPoolOptions browser_options;
  browser_options.enabled = !f.no_browser_reuse;
  {
    const char* env = std::getenv(browser::kIdleTimeoutEnv);
    std::string text = !f.browser_idle_timeout.empty() ? f.browser_idle_timeout : env ? env : "";
    if (!text.empty()) {
      auto idle = browser::ParseIdleTimeout(text, f.browser_idle_timeout.empty()
                                                      ? browser::kIdleTimeoutEnv
                                                      : "--browser-idle-timeout");
      if (!idle.ok()) {
        PrintError(idle.status().message());
        return 2;
      }
      browser_options.idle_timeout_seconds = *idle;
    }
  }
  const BrowserPool browsers(browser_options);
  // Before any thread: the guard is forked, and the signal mask set here is inherited by every
  // thread so that only the sigwait below receives SIGINT/SIGTERM.
  auto token = process::StartOrphanGuard();
  if (!token.ok()) {
    PrintError(token.status().message());
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  f.conn.log_reachability = true;
  auto service = WorkflowService::Connect(f.conn);
  if (!service.ok()) {
    PrintError(service.status().message());
    return 2;
  }
  WorkflowService* svc = service->get();
  // A server still starting (or restarting) is waited for: the service logs one line when it is
  // unreachable and one when it answers; a signal ends the wait. Other errors (authentication, a
  // namespace that does not exist) end the worker.
  std::mt19937_64 rng{std::random_device{}()};
  for (int attempt = 0;; ++attempt) {
    auto info = svc->GetSystemInfo();
    if (info.ok()) break;
    if (!IsTransient(info.status())) {
      PrintError(info.status().message());
      return 2;
    }
    auto delay = FullJitterDelay(attempt, Backoff{}, rng);
    timespec ts{static_cast<time_t>(delay.count() / 1000),
                static_cast<long>(delay.count() % 1000) * 1'000'000};
    if (int sig = sigtimedwait(&signals, nullptr, &ts); sig > 0) {
      log::Write(log::Level::kInfo, std::string("received ") +
                                        (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                                        " while waiting for the server: stopped");
      return 0;
    }
  }

  ActivityWorkerOptions ao;
  ao.task_queue = f.task_queue;
  ao.max_concurrent = f.max_concurrent_activities;
  ao.heartbeat_interval = *heartbeat;
  ao.run.executor = f.executor;
  ao.run.browser_ws_endpoint = f.browser_ws_endpoint;
  ao.run.browser_pool = &browsers;
  ao.run.env.emplace_back(process::kGuardTokenEnv, *token);
  if (Status st = LoadWorkerProxies(f, &ao.run); !st.ok()) {
    PrintError(st.message());
    return 2;
  }
  WorkerMetrics metrics(f.max_concurrent_workflow_tasks, f.max_concurrent_activities);
  std::unique_ptr<MetricsServer> metrics_server;
  if (!f.metrics_address.empty()) {
    auto started = MetricsServer::Start(f.metrics_address, &metrics);
    if (!started.ok()) {
      PrintError(started.status().message());
      return 2;
    }
    metrics_server = std::move(started).value();
    log::Write(log::Level::kInfo, "metrics at http://" +
                                      f.metrics_address.substr(0, f.metrics_address.rfind(':')) +
                                      ":" + std::to_string(metrics_server->port()) + "/metrics");
    ao.metrics = &metrics;
  }
  ActivityWorker activities(svc, ao);
  WorkflowWorkerOptions wo;
  wo.task_queue = f.task_queue;
  wo.max_concurrent_tasks = f.max_concurrent_workflow_tasks;
  if (metrics_server) wo.metrics = &metrics;
  WorkflowWorker workflows(svc, wo, &CreateWorkflow);
  activities.Start();
  workflows.Start();
  log::Write(log::Level::kInfo, "worker started: namespace " + svc->options().namespace_name +
                                    ", task queue " + f.task_queue + ", identity " +
                                    svc->options().identity + ", at " + svc->options().address);

  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  log::Write(log::Level::kInfo, std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                                    ": no new tasks; waiting up to " + f.shutdown_grace +
                                    " for running activities");
  svc->StopPolling();
  workflows.StopPolling();
  activities.StopPolling();
  // Running activities get the grace period; a second signal ends it at once.
  const auto until = std::chrono::steady_clock::now() + *grace;
  while (!activities.WaitIdle(std::chrono::milliseconds(0))) {
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) break;
    auto slice = std::min<std::chrono::nanoseconds>(left, std::chrono::milliseconds(100));
    timespec ts{static_cast<time_t>(slice.count() / 1'000'000'000),
                static_cast<long>(slice.count() % 1'000'000'000)};
    if (sigtimedwait(&signals, nullptr, &ts) > 0) break;
  }
  activities.CancelRunning("worker shutdown: grace period over");
  activities.Join();
  workflows.Join();
  log::Write(log::Level::kInfo, "worker stopped");
  return 0;
}

}  // namespace

void AddWorkerCommand(CLI::App* app, int* exit_code) {
  auto flags = std::make_shared<WorkerFlags>();
  WorkerFlags& f = *flags;
  CLI::App* cmd =
      app->add_subcommand("worker", "Run a worker: QuarryExtractionWorkflow and its activities");
  AddConnectionFlags(cmd, &f.conn);
  cmd->add_option("--task-queue", f.task_queue, "Task queue to poll")->capture_default_str();
  cmd->add_option("--max-concurrent-activities", f.max_concurrent_activities,
                  "Activities running at once (each drives a browser)")
      ->capture_default_str();
  cmd->add_option("--max-concurrent-workflow-tasks", f.max_concurrent_workflow_tasks,
                  "Workflow tasks handled at once")
      ->capture_default_str();
  cmd->add_option(
         "--shutdown-grace", f.shutdown_grace,
         "On SIGTERM/SIGINT, how long running activities may finish before they are cancelled")
      ->capture_default_str();
  cmd->add_option("--heartbeat-interval", f.heartbeat_interval,
                  "Longest time between heartbeats (never more than 0.8 x the heartbeat timeout)")
      ->capture_default_str();
  cmd->add_option("--executor", f.executor, "Executor path (default: the bundled executor)");
  cmd->add_option(
      "--browser-ws-endpoint", f.browser_ws_endpoint,
      "Connect runs to this browser instead of launching one (env QUARRY_BROWSER_ENDPOINT)");
  cmd->add_flag("--no-browser-reuse", f.no_browser_reuse,
                "Launch a browser per run instead of sharing the host's reusable browser server");
  cmd->add_option("--browser-idle-timeout", f.browser_idle_timeout,
                  "Idle time after which a browser server this worker starts exits (e.g. 60s; "
                  "env QUARRY_BROWSER_IDLE_TIMEOUT; default 60s)");
  cmd->add_option("--config", f.config,
                  "YAML config file whose proxies: section defines the pools runs may name");
  ::quarry::cli::AddProxySourceFlag(cmd, &f.proxy);
  cmd->add_option("--metrics-address", f.metrics_address,
                  "Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464)");
  cmd->callback([flags, exit_code]() { *exit_code = RunWorker(*flags); });
}

}  // namespace quarry::temporal::cli
