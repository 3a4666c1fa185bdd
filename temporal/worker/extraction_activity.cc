#include "worker/extraction_activity.h"

#include <filesystem>

#include "client/json_depth.h"
#include "quarry/json/canonical_json.h"
#include "quarry/json/parse.h"
#include "quarry/lode/open_store.h"
#include "quarry/log.h"
#include "worker/enqueue_collector.h"

namespace quarry::temporal {
namespace fs = std::filesystem;
using nlohmann::json;

void RunProgress::SetRunId(std::string run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  run_id_ = std::move(run_id);
}

void RunProgress::OnEvent(const Event& event) {
  std::optional<std::string> checkpoint;
  if (event.Type() == "checkpoint") {
    std::string text;
    if (::quarry::json::AppendMsgpackAsJson(event.Get(event.payload), "payload", &text).ok()) {
      // The frame decoder bounds msgpack at 256 levels; the bound here keeps it that way.
      auto v = ::quarry::json::ParseJson(text, "checkpoint payload", kMaxPayloadDepth);
      if (v.ok() && v->is_object() && v->contains("checkpoint_id") &&
          (*v)["checkpoint_id"].is_string()) {
        checkpoint = (*v)["checkpoint_id"].get<std::string>();
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  event_count_ = std::max(event_count_, event.seq);
  if (checkpoint) last_checkpoint_id_ = std::move(checkpoint);
}

nlohmann::json RunProgress::Details() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json d = {{"run_id", run_id_}, {"event_count", event_count_}};
  d["last_checkpoint_id"] =
      last_checkpoint_id_ ? nlohmann::json(*last_checkpoint_id_) : nlohmann::json();
  return d;
}

run::RunSpec ToRunSpec(const ExtractionParams& p, const WorkerRunSettings& settings) {
  run::RunSpec s;
  s.script = p.script;
  s.run_id = p.run_id;
  s.attempt = p.attempt;
  s.job_id = p.job_id;
  s.parent_run_id = p.parent_run_id;
  if (p.job) s.job = p.job->dump();
  s.job_file = p.job_json;
  s.source = p.source;
  s.category = p.category;
  s.policy = p.policy;
  s.flush_mode = p.flush_mode;
  s.buffer_events = p.buffer_events;
  s.buffer_bytes = p.buffer_bytes;
  s.flush_count = p.flush_count;
  s.flush_interval = p.flush_interval;
  s.storage_backend = p.storage.backend;
  s.storage_path = p.storage.path;
  s.storage_dataset = p.storage.dataset;
  s.storage_region = p.storage.region;
  s.storage_endpoint = p.storage.endpoint;
  s.storage_s3_path_style = p.storage.s3_path_style;
  s.storage_sync = p.storage.sync;
  s.executor = settings.executor;
  s.browser_ws_endpoint = settings.browser_ws_endpoint;
  s.resolve_from = p.resolve_from;
  s.timeout = p.timeout;
  return s;
}

namespace {

std::string DatasetDir(const ExtractionParams& p) {
  if (p.storage.path.empty()) return std::string();
  if (p.storage.backend == "s3") {
    return lode::StorageRootUrl({p.storage.backend, p.storage.path, "", "", false}) + "/datasets/" +
           p.storage.dataset;
  }
  std::error_code ec;
  fs::path root = fs::absolute(p.storage.path, ec);
  return (root / "datasets" / p.storage.dataset).lexically_normal().string();
}

// The ExtractionResult of a run that never started (invalid params).
json NotStartedResult(const ExtractionParams* p, const std::string& message) {
  json r = {{"outcome", "config_error"},
            {"run_id", p ? p->run_id : ""},
            {"attempt", p ? p->attempt : 1},
            {"duration_ms", 0},
            {"event_count", 0},
            {"events_persisted", 0},
            {"events_dropped", 0},
            {"artifacts_committed", 0},
            {"storage_path", p ? DatasetDir(*p) : ""},
            {"message", message},
            {"error_type", kConfigError}};
  if (p && !p->job_id.empty()) r["job_id"] = p->job_id;
  if (p && !p->parent_run_id.empty()) r["parent_run_id"] = p->parent_run_id;
  return r;
}

ActivityOutcome ConfigError(const ExtractionParams* p, const std::string& message) {
  ActivityOutcome o;
  o.kind = ActivityOutcome::Kind::kFailed;
  o.error = {kConfigError, message, /*non_retryable=*/true, NotStartedResult(p, message)};
  return o;
}

}  // namespace

json ExtractionResultJson(const run::RunResult& r, const std::string& storage_path) {
  json j = {{"outcome", std::string(run::OutcomeName(r.outcome))},
            {"run_id", r.meta.run_id},
            {"attempt", r.meta.attempt},
            {"duration_ms", r.duration_ms},
            {"event_count", r.event_count},
            {"events_persisted", r.policy_stats.events_persisted},
            {"events_dropped", r.policy_stats.events_dropped},
            {"artifacts_committed", r.artifacts.committed},
            {"storage_path", storage_path},
            {"message", r.message}};
  if (r.meta.job_id) j["job_id"] = *r.meta.job_id;
  if (r.meta.parent_run_id) j["parent_run_id"] = *r.meta.parent_run_id;
  if (r.error_type) j["error_type"] = *r.error_type;
  return j;
}

ActivityOutcome MapRunResult(const run::RunResult& r, const std::string& storage_path) {
  ActivityOutcome o;
  json result = ExtractionResultJson(r, storage_path);
  if (r.outcome == run::Outcome::kSuccess) {
    o.result = std::move(result);
    return o;
  }
  o.kind = ActivityOutcome::Kind::kFailed;
  const char* type = kExecutorCrash;
  bool non_retryable = false;
  switch (r.outcome) {
    case run::Outcome::kScriptError:
      type = kScriptError;
      break;
    case run::Outcome::kExecutorCrash:
      type = kExecutorCrash;
      break;
    case run::Outcome::kPolicyFailure:
      type = kPolicyFailure;
      non_retryable = true;
      break;
    case run::Outcome::kVersionMismatch:
      type = kVersionMismatch;
      non_retryable = true;
      break;
    case run::Outcome::kSuccess:
      break;
  }
  std::string message = r.message.empty() ? std::string(run::OutcomeName(r.outcome)) : r.message;
  o.error = {type, message, non_retryable, std::move(result)};
  return o;
}

ActivityOutcome RunExtraction(const std::optional<json>& input, const WorkerRunSettings& settings,
                              run::CancelToken* cancel, RunProgress* progress) {
  if (!input) return ConfigError(nullptr, "RunQuarryExtraction needs ExtractionParams as input");
  auto params = ParseExtractionParams(*input);
  if (!params.ok()) return ConfigError(nullptr, params.status().message());
  progress->SetRunId(params->run_id);

  log::RunContext log_ctx{
      params->run_id, params->attempt,
      params->job_id.empty() ? std::nullopt : std::optional(params->job_id),
      params->parent_run_id.empty() ? std::nullopt : std::optional(params->parent_run_id)};
  auto config = run::BuildRunConfig(ToRunSpec(*params, settings), [&](const std::string& w) {
    log::Write(log::Level::kWarn, w, &log_ctx);
  });
  if (!config.ok()) return ConfigError(&*params, config.status().message());
  if (params->proxy && !params->proxy->pool.empty()) {
    const ProxyParams& want = *params->proxy;
    const proxy::Pool* pool = nullptr;
    for (const proxy::Pool& p : settings.proxy_pools) {
      if (p.name == want.pool) pool = &p;
    }
    if (!pool || !settings.proxy_state) {
      return ConfigError(&*params, "proxy pool \"" + want.pool +
                                       "\" is not defined on this worker (start it with --config "
                                       "holding a proxies: section)");
    }
    proxy::SelectionRequest req{want.strategy, want.sticky_key, want.domain, want.origin,
                                params->job_id};
    config->proxy_pool =
        std::make_shared<proxy::PoolClient>(settings.proxy_state, *pool, req, settings.proxy_rules);
    if (Status s = run::SelectProxy(&*config); !s.ok()) return ConfigError(&*params, s.message());
  } else if (params->proxy) {
    run::ProxyEndpoint px;
    px.protocol = params->proxy->protocol;
    px.host = params->proxy->host;
    px.port = params->proxy->port;
    px.username = params->proxy->username;
    px.password = params->proxy->password;
    config->proxy = std::move(px);
  }
  if (params->resume)
    config->resume = run::ResumePoint{params->resume->checkpoint_id, params->resume->run_id};
  for (const auto& kv : settings.env) config->env.push_back(kv);
  if (config->browser_ws_endpoint.empty() && settings.browser_pool) {
    config->browser_ws_endpoint = settings.browser_pool->EndpointFor(
        config->executor_path, config->script_path, cancel, &log_ctx);
  }
  config->observer.on_event = [progress](const Event& ev) { progress->OnEvent(ev); };
  // A crawl's run: its enqueue requests go back to the workflow, its link into Lode.
  std::optional<EnqueueCollector> enqueued;
  if (params->collect_enqueued) {
    enqueued.emplace(*params->collect_enqueued);
    config->observer.on_event = [chained = std::move(config->observer.on_event),
                                 collector = &*enqueued](const Event& ev) {
      if (chained) chained(ev);
      collector->OnEvent(ev);
    };
  }
  if (params->fanout) {
    config->fanout =
        lode::FanoutLink{params->fanout->enqueued_by_run_id, params->fanout->enqueued_by_event_id,
                         params->fanout->fanout_depth};
  }
  config->observer.on_stderr_line = [&log_ctx](std::string_view line) {
    log::Write(log::Level::kDebug, line, &log_ctx, R"({"stream":"executor_stderr"})");
  };

  log::Write(log::Level::kInfo, "run started", &log_ctx);
  run::RunOrchestrator orchestrator(std::move(*config));
  run::RunResult result = orchestrator.Execute(cancel);
  if (Status s = orchestrator.PersistMetrics(result); !s.ok()) {
    log::Write(log::Level::kWarn, "failed to persist the metrics record: " + s.message(), &log_ctx);
  }
  log::Write(
      log::Level::kInfo,
      "run finished: " + std::string(run::OutcomeName(result.outcome)) + ": " + result.message,
      &log_ctx);
  ActivityOutcome outcome = MapRunResult(result, DatasetDir(*params));
  // The workflow hands it to the next attempt as `resume` (a timed-out attempt's comes from its
  // last heartbeat instead).
  if (const json details = progress->Details(); details.at("last_checkpoint_id").is_string()) {
    json* r = outcome.kind == ActivityOutcome::Kind::kCompleted ? &outcome.result
              : outcome.error.details                           ? &*outcome.error.details
                                                                : nullptr;
    if (r) (*r)["last_checkpoint_id"] = details.at("last_checkpoint_id");
  }
  if (enqueued) {
    // max_tasks 0 means "count only" (the crawl's last level): nothing to warn about then.
    if (enqueued->omitted() > 0 && params->collect_enqueued->max_tasks > 0) {
      log::Write(log::Level::kWarn,
                 std::to_string(enqueued->omitted()) +
                     " enqueue requests are over the result cap (" +
                     std::to_string(params->collect_enqueued->max_tasks) + " requests, " +
                     std::to_string(params->collect_enqueued->max_bytes) +
                     " bytes): the crawl counts them as skipped",
                 &log_ctx);
    }
    enqueued->AddTo(outcome.kind == ActivityOutcome::Kind::kCompleted ? &outcome.result
                    : outcome.error.details                           ? &*outcome.error.details
                                                                      : nullptr);
  }
  return outcome;
}

}  // namespace quarry::temporal
