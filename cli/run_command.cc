#include "run_command.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "browser_choice.h"
#include "config_file.h"
#include "fanout_command.h"
#include "notify.h"
#include "progress_line.h"
#include "proxy_options.h"
#include "quarry/duration.h"
#include "quarry/lode/open_store.h"
#include "quarry/lode/store.h"
#include "quarry/log.h"
#include "quarry/orphan_guard.h"
#include "quarry/redact.h"
#include "quarry/run/orchestrator.h"
#include "quarry/run/report.h"
#include "quarry/run/run_spec.h"
#include "quarry/run/validate_script.h"
#include "run_help.h"
#include "run_reuse.h"
#include "run_summary.h"
#include "signals.h"
#include "usage.h"

namespace quarry::cli {

namespace {

struct RunFlags {
  std::string config;
  std::string script, run_id, job_id, parent_run_id, job, job_json, executor;
  std::string browser_ws_endpoint, report, source, category = "default";
  std::string policy = "strict", flush_mode = "at_least_once";
  int64_t buffer_events = 0, buffer_bytes = 0, flush_count = 0;
  std::string flush_interval = "0";
  std::string storage_dataset = "quarry", storage_backend, storage_path;
  std::string storage_region, storage_endpoint;
  bool storage_s3_path_style = false;
  std::string storage_sync = "always";
  std::string resolve_from, timeout = "0";
  int64_t attempt = 1;
  // Notification adapter (§4.1 rows 39–44).
  std::string adapter, adapter_url, adapter_timeout, adapter_channel;
  std::vector<std::string> adapter_headers;
  int64_t adapter_retries = 3;
  std::map<std::string, std::string> config_headers;
  std::optional<int64_t> config_adapter_retries;
  // Event sinks (§4.1 rows 45–53).
  std::vector<std::string> event_sinks;
  std::vector<run::SinkSpec> config_sinks;
  std::string sink_redis_url, sink_redis_stream_key, sink_redis_ttl, sink_redis_timeout;
  std::string sink_redis_delivery, sink_lode_delivery;
  int64_t sink_redis_max_len = 0, sink_redis_retries = 0;
  std::vector<std::string> executor_env;  // credential names passed to the script anyway
  bool quiet = false, dry_run = false;
  FanoutFlags fanout;  // §4.1 rows 36–38, --child-retries, --resume
  ProxyFlags proxy;    // §4.1 rows 22–27
  std::optional<ConfigFile> loaded_config;
  // §10.1: the reusable browser server unless this is set (or an explicit endpoint is given).
  bool no_browser_reuse = false;
  int browser_idle_timeout_s = 0;  // config browser_idle_timeout; 0 = not set

  CLI::App* cmd = nullptr;
  bool Set(const char* name) const { return cmd->count(name) > 0; }
};

// Every failure before the executor starts: one line, exit 2 (D11.21).
struct PreRunError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& message) { throw PreRunError{message}; }

template <typename T>
T OrFail(StatusOr<T> v) {
  if (!v.ok()) Fail(v.status().message());
  return std::move(v).value();
}

int DryRun(const RunFlags& f, const std::string& executor, const std::string& resolve_from);

// §4.3 step 15: the pool sources, then the run's one committed selection (D4).
void SelectProxy(const RunFlags& f, run::RunConfig* config) {
  auto warn = [](const std::string& w) { log::Warning(w); };
  ProxySources sources = OrFail(
      LoadProxySources(f.loaded_config ? &*f.loaded_config : nullptr, f.proxy.proxy_config, warn));
  config->proxy_pool =
      OrFail(RunPoolClient(sources, f.proxy, config->meta.job_id.value_or(""), warn));
  if (Status s = run::SelectProxy(config); !s.ok()) Fail(s.message());
}

// §10.1 inputs; the idle timeout of a server this run may start: QUARRY_BROWSER_IDLE_TIMEOUT,
// else config browser_idle_timeout, else 60 s.
BrowserChoiceInput BrowserInput(const RunFlags& f, const run::RunConfig& config) {
  BrowserChoiceInput in;
  in.explicit_endpoint = config.browser_ws_endpoint;
  in.no_browser_reuse = f.no_browser_reuse;
  in.executor = config.executor_path;
  in.script = config.script_path;
  if (f.browser_idle_timeout_s > 0) in.idle_timeout_seconds = f.browser_idle_timeout_s;
  if (const char* env = std::getenv(browser::kIdleTimeoutEnv); env && *env) {
    in.idle_timeout_seconds = OrFail(browser::ParseIdleTimeout(env, browser::kIdleTimeoutEnv));
  }
  return in;
}

// Precedence (§4.2): an explicitly set flag, else a non-zero config value, else the default.
template <typename T>
void Merge(const RunFlags& f, const char* flag, T* value, const T& from_config) {
  if (!f.Set(flag) && from_config != T{}) *value = from_config;
}

void ApplyConfig(RunFlags& f, const ConfigFile& c) {
  Merge(f, "--source", &f.source, c.source);
  Merge(f, "--category", &f.category, c.category);
  Merge(f, "--executor", &f.executor, c.executor);
  Merge(f, "--resolve-from", &f.resolve_from, c.resolve_from);
  if (!f.Set("--timeout") && c.timeout.count() != 0) f.timeout = FormatDuration(c.timeout);
  Merge(f, "--storage-dataset", &f.storage_dataset, c.storage.dataset);
  Merge(f, "--storage-backend", &f.storage_backend, c.storage.backend);
  Merge(f, "--storage-path", &f.storage_path, c.storage.path);
  Merge(f, "--storage-region", &f.storage_region, c.storage.region);
  Merge(f, "--storage-endpoint", &f.storage_endpoint, c.storage.endpoint);
  Merge(f, "--storage-s3-path-style", &f.storage_s3_path_style, c.storage.s3_path_style);
  Merge(f, "--storage-sync", &f.storage_sync, c.storage.sync);
  Merge(f, "--policy", &f.policy, c.policy.name);
  Merge(f, "--flush-mode", &f.flush_mode, c.policy.flush_mode);
  Merge(f, "--buffer-events", &f.buffer_events, c.policy.buffer_events);
  Merge(f, "--buffer-bytes", &f.buffer_bytes, c.policy.buffer_bytes);
  Merge(f, "--flush-count", &f.flush_count, c.policy.flush_count);
  if (!f.Set("--flush-interval") && c.policy.flush_interval.count() != 0) {
    f.flush_interval = FormatDuration(c.policy.flush_interval);
  }
  // The environment variable counts as set and beats the config (§4.1 row 10).
  if (!f.Set("--browser-ws-endpoint") && f.browser_ws_endpoint.empty()) {
    f.browser_ws_endpoint = c.browser_ws_endpoint;
  }
  // Config can turn reuse off; --no-browser-reuse=false turns it back on (§4.2).
  if (!f.Set("--no-browser-reuse") && c.no_browser_reuse) f.no_browser_reuse = true;
  f.browser_idle_timeout_s = c.browser_idle_timeout_s;
  Merge(f, "--adapter", &f.adapter, c.adapter.type);
  Merge(f, "--adapter-url", &f.adapter_url, c.adapter.url);
  Merge(f, "--adapter-channel", &f.adapter_channel, c.adapter.channel);
  if (!f.Set("--adapter-timeout") && c.adapter.timeout.count() != 0) {
    f.adapter_timeout = FormatDuration(c.adapter.timeout);
  }
  f.config_headers = c.adapter.headers;
  f.config_adapter_retries = c.adapter.retries;
  // events.sinks is used only when no --event-sink flag is given (not merged).
  for (const ConfigSink& s : c.sinks) {
    run::SinkSpec spec;
    spec.type = s.type;
    spec.delivery = s.delivery;
    spec.url = s.url;
    spec.stream_key = s.stream_key;
    spec.max_len = s.max_len;
    if (s.ttl) spec.ttl = s.ttl->count() < 0 ? "-1" : FormatDuration(*s.ttl);
    if (s.timeout) spec.timeout = FormatDuration(*s.timeout);
    spec.retries = s.retries;
    f.config_sinks.push_back(std::move(spec));
  }
}

// §4.1 rows 39–53 into the spec: config first, explicitly set flags override.
void FillIntegrations(const RunFlags& f, run::RunSpec* spec) {
  run::AdapterSpec& a = spec->adapter;
  a.type = f.adapter;
  a.url = f.adapter_url;
  a.channel = f.adapter_channel;
  a.timeout = f.adapter_timeout;
  for (const auto& [k, v] : f.config_headers) a.headers.push_back(k + "=" + v);
  a.headers.insert(a.headers.end(), f.adapter_headers.begin(), f.adapter_headers.end());
  if (f.Set("--adapter-retries")) {
    a.retries = f.adapter_retries;
  } else {
    a.retries = f.config_adapter_retries;
  }

  if (f.Set("--event-sink")) {
    for (const std::string& value : f.event_sinks) {
      size_t start = 0;
      while (true) {
        size_t comma = value.find(',', start);
        std::string type = value.substr(start, comma == std::string::npos ? comma : comma - start);
        run::SinkSpec sink;
        sink.type = type;
        spec->event_sinks.push_back(std::move(sink));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  } else {
    spec->event_sinks = f.config_sinks;
  }
  run::SinkOverrides& o = spec->sink_overrides;
  if (f.Set("--event-sink-redis-url")) o.redis_url = f.sink_redis_url;
  if (f.Set("--event-sink-redis-stream-key")) o.redis_stream_key = f.sink_redis_stream_key;
  if (f.Set("--event-sink-redis-max-len")) o.redis_max_len = f.sink_redis_max_len;
  if (f.Set("--event-sink-redis-ttl")) o.redis_ttl = f.sink_redis_ttl;
  if (f.Set("--event-sink-redis-timeout")) o.redis_timeout = f.sink_redis_timeout;
  if (f.Set("--event-sink-redis-retries")) o.redis_retries = f.sink_redis_retries;
  if (f.Set("--event-sink-redis-delivery")) o.redis_delivery = f.sink_redis_delivery;
  if (f.Set("--event-sink-lode-delivery")) o.lode_delivery = f.sink_lode_delivery;
}

int Execute(RunFlags& f) {
  std::vector<std::string> missing;
  if (f.script.empty()) missing.push_back("--script");
  if (f.run_id.empty()) missing.push_back("--run-id");
  // Several missing flags are reported together (one at a time keeps its §4.3 message).
  if (missing.size() == 1 || (!missing.empty() && !f.config.empty()))
    Fail(MissingFlagsMessage(missing));
  if (!f.Set("--browser-ws-endpoint")) {
    if (const char* env = std::getenv("QUARRY_BROWSER_ENDPOINT"); env && *env) {
      f.browser_ws_endpoint = env;
    }
  }
  if (!f.config.empty()) {
    StatusOr<ConfigFile> config = LoadConfigFile(f.config);
    if (!config.ok()) Fail("failed to load config: " + config.status().message());
    ApplyConfig(f, *config);
    f.loaded_config = std::move(config).value();
  }
  if (!f.dry_run) {
    if (f.source.empty()) missing.push_back("--source");
    if (f.storage_backend.empty()) missing.push_back("--storage-backend");
    if (f.storage_path.empty()) missing.push_back("--storage-path");
  }
  if (missing.size() > 1) {
    Fail(MissingFlagsMessage(missing) + " (--source and --storage-* may also come from --config)");
  }
  if (Status s = run::CheckScriptReadable(f.script); !s.ok()) Fail(s.message());
  if (f.dry_run) {
    Duration timeout = OrFail(ParseDuration(f.timeout));
    if (timeout.count() < 0) Fail("--timeout must not be negative");
    std::string resolve_from = OrFail(run::ResolveFromDirectory(f.resolve_from));
    std::string executor = OrFail(run::LocateExecutor(f.executor));
    return DryRun(f, executor, resolve_from);
  }

  run::RunSpec spec;
  spec.script = f.script;
  spec.run_id = f.run_id;
  spec.attempt = f.attempt;
  spec.job_id = f.job_id;
  spec.parent_run_id = f.parent_run_id;
  if (f.Set("--job")) spec.job = f.job;
  if (f.Set("--job-json")) spec.job_file = f.job_json;
  spec.source = f.source;
  spec.category = f.category;
  spec.policy = f.policy;
  spec.flush_mode = f.flush_mode;
  spec.buffer_events = f.buffer_events;
  spec.buffer_bytes = f.buffer_bytes;
  spec.flush_count = f.flush_count;
  spec.flush_interval = f.flush_interval;
  spec.storage_backend = f.storage_backend;
  spec.storage_path = f.storage_path;
  spec.storage_dataset = f.storage_dataset;
  spec.storage_region = f.storage_region;
  spec.storage_endpoint = f.storage_endpoint;
  spec.storage_s3_path_style = f.storage_s3_path_style;
  spec.storage_sync = f.storage_sync;
  spec.executor = f.executor;
  spec.browser_ws_endpoint = f.browser_ws_endpoint;
  spec.resolve_from = f.resolve_from;
  spec.timeout = f.timeout;
  spec.fanout = FanoutSettings(f.fanout);
  FillIntegrations(f, &spec);
  run::RunConfig config =
      OrFail(run::BuildRunConfig(spec, [](const std::string& w) { log::Warning(w); }));
  SelectProxy(f, &config);
  BrowserChoiceInput browser_in = BrowserInput(f, config);
  config.env_pass_through = OrFail(run::ParseExecutorEnvNames(f.executor_env));
  // An idle script would keep its executor and Chromium alive after a `kill -9` of quarry until
  // it next wrote to the dead pipe: the guard kills them as soon as this process is gone. Forked
  // here, before the signal, progress and policy threads exist.
  config.env.emplace_back(process::kGuardTokenEnv, OrFail(process::StartOrphanGuard()));
  const run::RunMeta meta = config.meta;
  const policy::PolicyConfig pc = config.policy;
  NotifyTarget notify;
  notify.adapter = config.adapter;
  notify.store = config.store;
  notify.storage_root = lode::StorageRootUrl({f.storage_backend, f.storage_path, "", "", false});
  notify.dataset = config.dataset;
  notify.source = config.source;
  notify.category = config.category;

  RedrivePendingNotifications(notify);

  const bool progress_enabled = !f.quiet && ::isatty(STDERR_FILENO);
  ProgressLine progress(progress_enabled);
  config.observer.on_event = [&progress](const Event& ev) {
    progress.OnEvent(ev.Type() == "artifact");
  };
  log::RunContext log_ctx{meta.run_id, meta.attempt, meta.job_id, meta.parent_run_id};
  config.observer.on_stderr_line = [&log_ctx](std::string_view line) {
    log::Write(log::Level::kDebug, line, &log_ctx, R"({"stream":"executor_stderr"})");
  };

  run::CancelToken cancel;
  SignalCanceller signals(&cancel);
  const auto wall_start = std::chrono::steady_clock::now();
  // After the signal thread exists: a Ctrl-C while a browser server starts aborts the start.
  browser_in.cancel = &cancel;
  config.browser_ws_endpoint = ChooseBrowser(browser_in).ws_endpoint;
  // §9: with --depth, the crawl around the root (journal, managed browser, children).
  std::unique_ptr<fanout::Crawl> crawl = OrFail(StartFanout(f.fanout, &config, &cancel));
  if (crawl && !crawl->root_runs()) {
    progress.Stop();
    return FinishWithEarlierRoot(crawl.get(), &signals, f.quiet, !f.report.empty());
  }
  log_ctx = {config.meta.run_id, config.meta.attempt, config.meta.job_id,
             config.meta.parent_run_id};  // a resumed root runs as a new attempt
  if (auto reuse = RunIdReuseWarning(*config.store, config.dataset, config.source, config.category,
                                     TodayUtc(), config.meta.run_id)) {
    log::Warning(*reuse);
  }
  const bool on_fs = f.storage_backend == "fs";
  const DataLocation where{{f.storage_backend, on_fs ? notify.storage_root : f.storage_path,
                            f.storage_region, f.storage_endpoint, f.storage_s3_path_style},
                           notify.storage_root,
                           config.dataset,
                           config.source,
                           config.category};
  run::RunOrchestrator orchestrator(std::move(config));
  run::RunResult result = orchestrator.Execute(&cancel);
  // The tree is gone; a second signal now exits 2 at once (with fan-out: once children ended).
  if (!crawl) signals.EnterFinalization();
  progress.Stop();

  const int exit_code = result.ExitCode();
  if (Status s = orchestrator.PersistMetrics(result); !s.ok()) {
    log::Warning("failed to persist the metrics record: " + s.message());
  }
  // §4.5 step 2: after the metrics record, before the report; never changes the exit code.
  NotifyAdapter(notify, result,
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - wall_start)
                    .count());
  if (!f.report.empty()) {
    std::string report = run::ReportJson(result, exit_code);
    if (f.report == "-") {
      std::fwrite(report.data(), 1, report.size(), stderr);
    } else {
      std::ofstream out(f.report, std::ios::binary | std::ios::trunc);
      out << report;
      out.close();
      if (!out) {
        log::Warning("failed to write report " + f.report);
      } else {
        ::chmod(f.report.c_str(), 0644);
      }
    }
  }
  if (crawl) crawl->RootFinished(result, cancel.cancelled());
  if (!f.quiet) {
    auto wall = std::chrono::steady_clock::now() - wall_start;
    std::string summary = FormatRunSummary(result, pc, wall, where);
    std::fwrite(summary.data(), 1, summary.size(), stdout);
    std::fflush(stdout);
  }
  if (f.quiet && exit_code != 0) {
    // Nothing went to stdout: a failed run still says so, in one line.
    log::Error("run " + PrintableValue(result.meta.run_id, 200) + " ended " +
               std::string(run::OutcomeName(result.outcome)) + " (exit " +
               std::to_string(exit_code) + "): " + PrintableValue(result.message, 400));
  }
  if (crawl) FinishFanout(crawl.get(), &signals, f.quiet);
  return exit_code;
}

int DryRun(const RunFlags& f, const std::string& executor, const std::string& resolve_from) {
  std::fprintf(stderr, "Dry run\n  script:       %s\n  executor:     %s\n", f.script.c_str(),
               executor.c_str());
  if (!resolve_from.empty()) std::fprintf(stderr, "  resolve-from: %s\n", resolve_from.c_str());
  StatusOr<run::ScriptValidation> v = run::ValidateScript(executor, f.script, resolve_from);
  if (!v.ok()) {
    std::fprintf(stderr, "  \u2717 %s\nFAIL: could not validate the script\n",
                 v.status().message().c_str());
    return 2;
  }
  if (!v->valid) {
    std::fprintf(stderr, "  \u2717 %s\nFAIL: the script is invalid\n", v->error.c_str());
    return 1;
  }
  std::fprintf(stderr, "  \u2713 module loads\n  \u2713 default export is a function\n");
  for (const auto& h : v->hooks) std::fprintf(stderr, "  \u2713 hook %s\n", h.c_str());
  std::fprintf(stderr, "PASS: the script is valid\n");
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App* app, int* exit_code) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd =
      app->add_subcommand("run", "Execute an extraction script (the only command that runs work)");
  flags->cmd = cmd;
  RunFlags& f = *flags;
  cmd->add_option("--config", f.config, "YAML config file (no auto-discovery)");
  cmd->add_option("--script", f.script,
                  "Path of the script to run (relative to the working directory)");
  cmd->add_option("--run-id", f.run_id, "Run id (required)");
  cmd->add_option("--attempt", f.attempt, "Attempt number (>= 1)");
  cmd->add_option("--job-id", f.job_id, "Job id");
  cmd->add_option("--parent-run-id", f.parent_run_id, "Previous attempt's run id (attempt > 1)");
  cmd->add_option("--job", f.job, "Job payload as a JSON object");
  cmd->add_option("--job-json", f.job_json, "Path of a file holding the job payload (JSON object)");
  cmd->add_option("--executor", f.executor, "Executor path (default: the bundled executor)");
  cmd->add_option("--browser-ws-endpoint", f.browser_ws_endpoint,
                  "Connect to this browser instead of launching one (env QUARRY_BROWSER_ENDPOINT)");
  cmd->add_option("--executor-env", f.executor_env,
                  "Pass this credential variable (AWS_*, TEMPORAL_*, QUARRY_SECRET_*) from the "
                  "environment to the script anyway (repeatable; others are never removed)")
      ->allow_extra_args(false);
  cmd->add_flag("--quiet", f.quiet, "Print nothing on stdout");
  cmd->add_flag("--no-browser-reuse", f.no_browser_reuse,
                "Launch a browser for this run only instead of reusing the shared browser "
                "server (needed for stealth evasions)");
  cmd->add_flag("--dry-run", f.dry_run, "Validate the script only");
  AddFanoutFlags(cmd, &f.fanout);
  AddProxySourceFlag(cmd, &f.proxy);
  AddProxySelectionFlags(cmd, &f.proxy);
  cmd->add_option("--report", f.report, "Write the JSON report to this path (- = stderr)");
  cmd->add_option("--source", f.source, "Source partition value (required)");
  cmd->add_option("--category", f.category, "Category partition value");
  cmd->add_option("--policy", f.policy, "Ingestion policy: strict, buffered, streaming");
  cmd->add_option("--flush-mode", f.flush_mode, "buffered: at_least_once, chunks_first, two_phase");
  cmd->add_option("--buffer-events", f.buffer_events, "buffered: event limit");
  cmd->add_option("--buffer-bytes", f.buffer_bytes, "buffered: byte limit");
  cmd->add_option("--flush-count", f.flush_count, "streaming: flush every N events");
  cmd->add_option("--flush-interval", f.flush_interval, "streaming: flush interval (e.g. 5s)");
  cmd->add_option("--storage-dataset", f.storage_dataset, "Dataset id");
  cmd->add_option("--storage-backend", f.storage_backend, "Storage backend: fs or s3");
  cmd->add_option("--storage-path", f.storage_path,
                  "fs: an existing directory; s3: bucket[/prefix] (no s3:// scheme)");
  cmd->add_option("--storage-region", f.storage_region,
                  "s3: region (empty: the AWS default chain)");
  cmd->add_option("--storage-endpoint", f.storage_endpoint,
                  "s3: S3-compatible endpoint URL (R2, MinIO, ...)");
  cmd->add_flag("--storage-s3-path-style", f.storage_s3_path_style,
                "s3: path-style addressing (endpoint/bucket/key)");
  cmd->add_option("--storage-sync", f.storage_sync,
                  "fs: always (default: on disk before an event counts as persisted) or never "
                  "(an OS crash can lose the last events; a process crash cannot)");
  cmd->add_option("--resolve-from", f.resolve_from, "Fallback directory for the script's imports");
  cmd->add_option("--timeout", f.timeout, "Whole-run time limit (e.g. 5m); 0 = none");
  cmd->add_option("--adapter", f.adapter, "Notify after the run: webhook or redis");
  cmd->add_option("--adapter-url", f.adapter_url, "Webhook URL or redis:// URL of the adapter");
  cmd->add_option("--adapter-header", f.adapter_headers,
                  "Webhook header key=value (repeatable; never split on commas)")
      ->allow_extra_args(false);
  cmd->add_option("--adapter-timeout", f.adapter_timeout,
                  "Adapter timeout per attempt and overall (default 10s)");
  cmd->add_option("--adapter-retries", f.adapter_retries, "Adapter retries (default 3)");
  cmd->add_option("--adapter-channel", f.adapter_channel,
                  "redis adapter: channel (default quarry:run_completed)");
  cmd->add_option("--event-sink", f.event_sinks,
                  "Event sink: lode or redis (repeatable, comma-separated lists)")
      ->allow_extra_args(false);
  cmd->add_option("--event-sink-redis-url", f.sink_redis_url, "redis sink: redis:// URL");
  cmd->add_option("--event-sink-redis-stream-key", f.sink_redis_stream_key,
                  "redis sink: stream key (default quarry:events)");
  cmd->add_option("--event-sink-redis-max-len", f.sink_redis_max_len,
                  "redis sink: MAXLEN ~ (default 100000; -1 disables trimming)");
  cmd->add_option("--event-sink-redis-ttl", f.sink_redis_ttl,
                  "redis sink: stream TTL (default 24h; -1 disables expiry)");
  cmd->add_option("--event-sink-redis-timeout", f.sink_redis_timeout,
                  "redis sink: timeout per attempt (default 2s)");
  cmd->add_option("--event-sink-redis-retries", f.sink_redis_retries,
                  "redis sink: retries (default 2)");
  cmd->add_option("--event-sink-redis-delivery", f.sink_redis_delivery,
                  "redis sink: mandatory or best_effort");
  cmd->add_option("--event-sink-lode-delivery", f.sink_lode_delivery,
                  "lode sink (explicit or implicit): mandatory or best_effort");
  cmd->allow_extras();  // unknown flags are reported together, with suggestions
  ConfigureRunHelp(cmd);
  cmd->callback([flags, exit_code]() {
    try {
      if (!flags->cmd->remaining().empty()) {
        std::vector<std::string> known;
        for (const CLI::Option* o : flags->cmd->get_options()) {
          for (const std::string& l : o->get_lnames()) known.push_back("--" + l);
        }
        Fail(UnknownArgumentsMessage(flags->cmd->remaining(), known));
      }
      *exit_code = Execute(*flags);
    } catch (const PreRunError& e) {
      log::Error(e.message);
      *exit_code = 2;
    }
  });
}

}  // namespace quarry::cli
