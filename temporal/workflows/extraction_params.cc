#include "workflows/extraction_params.h"

#include "client/json_depth.h"
#include "workflows/json_fields.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

Status ParseTemplateFields(Fields& f, ExtractionParams* p) {
  QUARRY_RETURN_IF_ERROR(f.String("script", &p->script));
  QUARRY_RETURN_IF_ERROR(f.String("job_id", &p->job_id));
  if (const json* job = f.Raw("job")) {
    // The bound `quarry run --job` applies, checked here so that a workflow fails at once
    // (CONFIG_ERROR) instead of in each attempt.
    if (NestsDeeperThan(*job, ::quarry::json::kMaxUserDepth)) {
      return InvalidArgumentError("\"job\" is nested deeper than " +
                                  std::to_string(::quarry::json::kMaxUserDepth) + " levels");
    }
    p->job = *job;
  }
  QUARRY_RETURN_IF_ERROR(f.OptString("job_json", &p->job_json));
  QUARRY_RETURN_IF_ERROR(f.String("source", &p->source));
  QUARRY_RETURN_IF_ERROR(f.String("category", &p->category));
  QUARRY_RETURN_IF_ERROR(f.String("policy", &p->policy));
  QUARRY_RETURN_IF_ERROR(f.String("flush_mode", &p->flush_mode));
  QUARRY_RETURN_IF_ERROR(f.Int("buffer_events", &p->buffer_events));
  QUARRY_RETURN_IF_ERROR(f.Int("buffer_bytes", &p->buffer_bytes));
  QUARRY_RETURN_IF_ERROR(f.Int("flush_count", &p->flush_count));
  QUARRY_RETURN_IF_ERROR(f.DurString("flush_interval", &p->flush_interval));
  QUARRY_RETURN_IF_ERROR(f.DurString("timeout", &p->timeout));
  QUARRY_RETURN_IF_ERROR(f.String("resolve_from", &p->resolve_from));
  Status st;
  if (const json* storage = f.Object("storage", &st)) {
    Fields s(*storage, "storage");
    QUARRY_RETURN_IF_ERROR(s.String("backend", &p->storage.backend));
    QUARRY_RETURN_IF_ERROR(s.String("path", &p->storage.path));
    QUARRY_RETURN_IF_ERROR(s.String("dataset", &p->storage.dataset));
    QUARRY_RETURN_IF_ERROR(s.String("region", &p->storage.region));
    QUARRY_RETURN_IF_ERROR(s.String("endpoint", &p->storage.endpoint));
    QUARRY_RETURN_IF_ERROR(s.Bool("s3_path_style", &p->storage.s3_path_style));
    QUARRY_RETURN_IF_ERROR(s.String("sync", &p->storage.sync));
    QUARRY_RETURN_IF_ERROR(s.Finish());
    if (p->storage.sync != "always" && p->storage.sync != "never") {
      return InvalidArgumentError("\"storage.sync\" must be always or never");
    }
  }
  QUARRY_RETURN_IF_ERROR(st);
  if (const json* resume = f.Object("resume", &st)) {
    ExtractionParams::Resume r;
    Fields s(*resume, "resume");
    QUARRY_RETURN_IF_ERROR(s.String("checkpoint_id", &r.checkpoint_id));
    QUARRY_RETURN_IF_ERROR(s.String("run_id", &r.run_id));
    QUARRY_RETURN_IF_ERROR(s.Finish());
    if (r.checkpoint_id.empty()) {
      return InvalidArgumentError("\"resume.checkpoint_id\" must not be empty");
    }
    p->resume = std::move(r);
  }
  QUARRY_RETURN_IF_ERROR(st);
  if (const json* proxy = f.Object("proxy", &st)) {
    ProxyParams px;
    Fields s(*proxy, "proxy");
    if (proxy->contains("pool")) {
      // A selection, made by the worker from its own pools for every attempt.
      QUARRY_RETURN_IF_ERROR(s.String("pool", &px.pool));
      QUARRY_RETURN_IF_ERROR(s.String("strategy", &px.strategy));
      QUARRY_RETURN_IF_ERROR(s.String("sticky_key", &px.sticky_key));
      QUARRY_RETURN_IF_ERROR(s.String("domain", &px.domain));
      QUARRY_RETURN_IF_ERROR(s.String("origin", &px.origin));
      QUARRY_RETURN_IF_ERROR(s.Finish());
      if (px.pool.empty()) return InvalidArgumentError("\"proxy.pool\" must not be empty");
      p->proxy = std::move(px);
      return st;
    }
    QUARRY_RETURN_IF_ERROR(s.String("protocol", &px.protocol));
    QUARRY_RETURN_IF_ERROR(s.String("host", &px.host));
    QUARRY_RETURN_IF_ERROR(s.Int("port", &px.port));
    QUARRY_RETURN_IF_ERROR(s.OptString("username", &px.username));
    QUARRY_RETURN_IF_ERROR(s.OptString("password", &px.password));
    QUARRY_RETURN_IF_ERROR(s.Finish());
    if (px.protocol != "http" && px.protocol != "https" && px.protocol != "socks5") {
      return InvalidArgumentError("\"proxy.protocol\" must be http, https or socks5");
    }
    if (px.host.empty()) return InvalidArgumentError("\"proxy.host\" is required");
    if (px.port < 1 || px.port > 65535) {
      return InvalidArgumentError("\"proxy.port\" must be in 1..65535");
    }
    p->proxy = std::move(px);
  }
  return st;
}

}  // namespace

void ForbidLineage(Fields& f) {
  f.Forbid("run_id", "is derived by the workflow for each attempt");
  f.Forbid("attempt", "is set by the workflow");
  f.Forbid("parent_run_id", "is set by the workflow (the previous attempt's run_id)");
}

StatusOr<ExtractionParams> ParseExtractionParams(const json& input) {
  if (!input.is_object()) return InvalidArgumentError("ExtractionParams must be a JSON object");
  ExtractionParams p;
  Fields f(input, "");
  QUARRY_RETURN_IF_ERROR(ParseTemplateFields(f, &p));
  QUARRY_RETURN_IF_ERROR(f.String("run_id", &p.run_id));
  QUARRY_RETURN_IF_ERROR(f.Int("attempt", &p.attempt));
  QUARRY_RETURN_IF_ERROR(f.String("parent_run_id", &p.parent_run_id));
  Status st;
  if (const json* c = f.Object("collect_enqueued", &st)) {
    CollectEnqueuedParams ce;
    Fields cf(*c, "collect_enqueued");
    QUARRY_RETURN_IF_ERROR(cf.Int("max_tasks", &ce.max_tasks));
    QUARRY_RETURN_IF_ERROR(cf.Int("max_bytes", &ce.max_bytes));
    QUARRY_RETURN_IF_ERROR(cf.Finish());
    if (ce.max_tasks < 0 || ce.max_tasks > kMaxEnqueuedPerResult) {
      return InvalidArgumentError("\"collect_enqueued.max_tasks\" must be in 0.." +
                                  std::to_string(kMaxEnqueuedPerResult));
    }
    if (ce.max_bytes < 0 || ce.max_bytes > kMaxEnqueuedBytesPerResult) {
      return InvalidArgumentError("\"collect_enqueued.max_bytes\" must be in 0.." +
                                  std::to_string(kMaxEnqueuedBytesPerResult));
    }
    p.collect_enqueued = ce;
  }
  QUARRY_RETURN_IF_ERROR(st);
  if (const json* link = f.Object("fanout", &st)) {
    FanoutParams fp;
    Fields lf(*link, "fanout");
    QUARRY_RETURN_IF_ERROR(lf.String("enqueued_by_run_id", &fp.enqueued_by_run_id));
    QUARRY_RETURN_IF_ERROR(lf.String("enqueued_by_event_id", &fp.enqueued_by_event_id));
    QUARRY_RETURN_IF_ERROR(lf.Int("fanout_depth", &fp.fanout_depth));
    QUARRY_RETURN_IF_ERROR(lf.Finish());
    if (fp.enqueued_by_run_id.empty()) {
      return InvalidArgumentError("\"fanout.enqueued_by_run_id\" is required");
    }
    if (fp.fanout_depth < 1) return InvalidArgumentError("\"fanout.fanout_depth\" must be >= 1");
    p.fanout = std::move(fp);
  }
  QUARRY_RETURN_IF_ERROR(st);
  QUARRY_RETURN_IF_ERROR(f.Finish());
  return p;
}

Status ParseWorkflowKnobs(Fields& f, WorkflowRetry* retry, ActivityTimeouts* activity,
                          std::optional<NotifyParams>* notify) {
  Status st;
  if (const json* retry_json = f.Object("retry", &st)) {
    Fields r(*retry_json, "retry");
    QUARRY_RETURN_IF_ERROR(r.Int("max_attempts", &retry->max_attempts));
    QUARRY_RETURN_IF_ERROR(r.Dur("initial_interval", &retry->initial_interval));
    QUARRY_RETURN_IF_ERROR(r.Number("backoff_coefficient", &retry->backoff_coefficient));
    QUARRY_RETURN_IF_ERROR(r.Dur("maximum_interval", &retry->maximum_interval));
    QUARRY_RETURN_IF_ERROR(r.Finish());
    if (retry->max_attempts < 1 || retry->max_attempts > 100) {
      return InvalidArgumentError("\"retry.max_attempts\" must be in 1..100");
    }
    if (!(retry->backoff_coefficient >= 1.0) || retry->backoff_coefficient > 100) {
      return InvalidArgumentError("\"retry.backoff_coefficient\" must be in 1..100");
    }
  }
  QUARRY_RETURN_IF_ERROR(st);
  if (const json* act = f.Object("activity", &st)) {
    Fields a(*act, "activity");
    QUARRY_RETURN_IF_ERROR(a.Dur("start_to_close_timeout", &activity->start_to_close));
    QUARRY_RETURN_IF_ERROR(a.Dur("heartbeat_timeout", &activity->heartbeat));
    QUARRY_RETURN_IF_ERROR(a.Dur("schedule_to_start_timeout", &activity->schedule_to_start));
    QUARRY_RETURN_IF_ERROR(a.Finish());
    if (activity->start_to_close.count() <= 0) {
      return InvalidArgumentError("\"activity.start_to_close_timeout\" must be positive");
    }
  }
  QUARRY_RETURN_IF_ERROR(st);
  if (const json* notify_json = f.Object("notify", &st)) {
    NotifyParams n;
    Fields nf(*notify_json, "notify");
    QUARRY_RETURN_IF_ERROR(nf.String("url", &n.url));
    if (const json* h = nf.Object("headers", &st)) {
      for (auto it = h->begin(); it != h->end(); ++it) {
        if (!it->is_string())
          return InvalidArgumentError("\"notify.headers\" values must be strings");
      }
      n.headers = *h;
    }
    QUARRY_RETURN_IF_ERROR(st);
    QUARRY_RETURN_IF_ERROR(nf.Finish());
    if (n.url.rfind("http://", 0) != 0 && n.url.rfind("https://", 0) != 0) {
      return InvalidArgumentError("\"notify.url\" must be an http(s) URL");
    }
    *notify = std::move(n);
  }
  QUARRY_RETURN_IF_ERROR(st);
  return Status::Ok();
}

Status ValidateRunTemplate(const json& run_template) {
  if (!run_template.is_object()) return InvalidArgumentError("a run must be a JSON object");
  ExtractionParams unused;
  Fields f(run_template, "");
  QUARRY_RETURN_IF_ERROR(ParseTemplateFields(f, &unused));
  ForbidLineage(f);
  return f.Finish();
}

StatusOr<ExtractionWorkflowParams> ParseExtractionWorkflowParams(const json& input) {
  if (!input.is_object()) {
    return InvalidArgumentError("ExtractionWorkflowParams must be a JSON object");
  }
  ExtractionWorkflowParams out;
  ExtractionParams unused;
  Fields f(input, "");
  QUARRY_RETURN_IF_ERROR(ParseTemplateFields(f, &unused));
  ForbidLineage(f);
  QUARRY_RETURN_IF_ERROR(ParseWorkflowKnobs(f, &out.retry, &out.activity, &out.notify));
  QUARRY_RETURN_IF_ERROR(f.Finish());
  out.run_template = input;
  out.run_template.erase("retry");
  out.run_template.erase("activity");
  out.run_template.erase("notify");
  return out;
}

Millis BackoffBefore(const WorkflowRetry& retry, int64_t next_attempt) {
  double ms = static_cast<double>(retry.initial_interval.count());
  for (int64_t i = 2; i < next_attempt; ++i) {
    ms *= retry.backoff_coefficient;
    if (ms >= static_cast<double>(retry.maximum_interval.count())) break;
  }
  auto capped = std::min(ms, static_cast<double>(retry.maximum_interval.count()));
  return Millis(static_cast<int64_t>(capped));
}

}  // namespace quarry::temporal
