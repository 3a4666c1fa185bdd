#include "workflows/extraction_params.h"

#include <cmath>
#include <set>

#include "quarry/duration.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

// Reads fields of one JSON object, remembering which were seen so the rest can be reported.
class Fields {
 public:
  Fields(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  Status String(const char* key, std::string* out) {
    const json* v = Take(key);
    if (!v) return Status::Ok();
    if (!v->is_string()) return TypeError(key, "a string");
    *out = v->get<std::string>();
    return Status::Ok();
  }
  Status OptString(const char* key, std::optional<std::string>* out) {
    const json* v = Take(key);
    if (!v || v->is_null()) return Status::Ok();
    if (!v->is_string()) return TypeError(key, "a string");
    *out = v->get<std::string>();
    return Status::Ok();
  }
  Status Int(const char* key, int64_t* out) {
    const json* v = Take(key);
    if (!v) return Status::Ok();
    if (!v->is_number_integer()) return TypeError(key, "an integer");
    *out = v->get<int64_t>();
    return Status::Ok();
  }
  Status Bool(const char* key, bool* out) {
    const json* v = Take(key);
    if (!v) return Status::Ok();
    if (!v->is_boolean()) return TypeError(key, "a boolean");
    *out = v->get<bool>();
    return Status::Ok();
  }
  Status Number(const char* key, double* out) {
    const json* v = Take(key);
    if (!v) return Status::Ok();
    if (!v->is_number()) return TypeError(key, "a number");
    *out = v->get<double>();
    return Status::Ok();
  }
  // A duration: a string in the `quarry run` grammar ("90s", "5m") or a number of seconds.
  Status Dur(const char* key, Millis* out) {
    const json* v = Take(key);
    if (!v) return Status::Ok();
    if (v->is_number()) {
      double s = v->get<double>();
      if (!(s >= 0) || s > 1e9) return Invalid(key, "must be a non-negative number of seconds");
      *out = Millis(static_cast<int64_t>(std::llround(s * 1000)));
      return Status::Ok();
    }
    if (!v->is_string()) return TypeError(key, "a duration (\"30s\") or a number of seconds");
    auto d = ParseDuration(v->get<std::string>());
    if (!d.ok()) return Invalid(key, d.status().message());
    if (d->count() < 0) return Invalid(key, "must not be negative");
    *out = std::chrono::duration_cast<Millis>(*d);
    return Status::Ok();
  }
  // A string duration passed on unchanged ("0" = none), checked here so errors surface early.
  Status DurString(const char* key, std::string* out) {
    const json* v = Take(key);
    if (!v) return Status::Ok();
    if (!v->is_string()) return TypeError(key, "a duration string such as \"5m\"");
    auto d = ParseDuration(v->get<std::string>());
    if (!d.ok()) return Invalid(key, d.status().message());
    *out = v->get<std::string>();
    return Status::Ok();
  }
  const json* Object(const char* key, Status* status) {
    const json* v = Take(key);
    if (v && !v->is_object()) {
      *status = TypeError(key, "an object");
      return nullptr;
    }
    return v;
  }
  const json* Raw(const char* key) { return Take(key); }
  void Forbid(const char* key, const char* why) {
    if (obj_.contains(key) && forbidden_.empty()) forbidden_ = Name(key) + " " + why;
    seen_.insert(key);
  }

  // Unknown fields are an error (sorted, so the message is stable).
  Status Finish() const {
    if (!forbidden_.empty()) return InvalidArgumentError(forbidden_);
    std::set<std::string> unknown;
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (!seen_.count(it.key())) unknown.insert(it.key());
    }
    if (unknown.empty()) return Status::Ok();
    std::string list;
    for (const auto& k : unknown) list += (list.empty() ? "" : ", ") + Name(k);
    return InvalidArgumentError("unknown field" + std::string(unknown.size() > 1 ? "s " : " ") +
                                list);
  }

 private:
  const json* Take(const char* key) {
    seen_.insert(key);
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }
  std::string Name(const std::string& key) const {
    return "\"" + (where_.empty() ? key : where_ + "." + key) + "\"";
  }
  Status TypeError(const char* key, const char* what) const {
    return InvalidArgumentError(Name(key) + " must be " + what);
  }
  Status Invalid(const char* key, const std::string& why) const {
    return InvalidArgumentError(Name(key) + ": " + why);
  }

  const json& obj_;
  std::string where_;
  std::set<std::string> seen_;
  std::string forbidden_;
};

Status ParseTemplateFields(Fields& f, ExtractionParams* p) {
  QUARRY_RETURN_IF_ERROR(f.String("script", &p->script));
  QUARRY_RETURN_IF_ERROR(f.String("job_id", &p->job_id));
  if (const json* job = f.Raw("job")) p->job = *job;
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
    QUARRY_RETURN_IF_ERROR(s.Finish());
  }
  QUARRY_RETURN_IF_ERROR(st);
  if (const json* proxy = f.Object("proxy", &st)) {
    ProxyParams px;
    Fields s(*proxy, "proxy");
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

StatusOr<ExtractionParams> ParseExtractionParams(const json& input) {
  if (!input.is_object()) return InvalidArgumentError("ExtractionParams must be a JSON object");
  ExtractionParams p;
  Fields f(input, "");
  QUARRY_RETURN_IF_ERROR(ParseTemplateFields(f, &p));
  QUARRY_RETURN_IF_ERROR(f.String("run_id", &p.run_id));
  QUARRY_RETURN_IF_ERROR(f.Int("attempt", &p.attempt));
  QUARRY_RETURN_IF_ERROR(f.String("parent_run_id", &p.parent_run_id));
  QUARRY_RETURN_IF_ERROR(f.Finish());
  return p;
}

StatusOr<ExtractionWorkflowParams> ParseExtractionWorkflowParams(const json& input) {
  if (!input.is_object()) {
    return InvalidArgumentError("ExtractionWorkflowParams must be a JSON object");
  }
  ExtractionWorkflowParams out;
  ExtractionParams unused;
  Fields f(input, "");
  QUARRY_RETURN_IF_ERROR(ParseTemplateFields(f, &unused));
  f.Forbid("run_id", "is derived by the workflow for each attempt");
  f.Forbid("attempt", "is set by the workflow");
  f.Forbid("parent_run_id", "is set by the workflow (the previous attempt's run_id)");
  Status st;
  if (const json* retry = f.Object("retry", &st)) {
    Fields r(*retry, "retry");
    QUARRY_RETURN_IF_ERROR(r.Int("max_attempts", &out.retry.max_attempts));
    QUARRY_RETURN_IF_ERROR(r.Dur("initial_interval", &out.retry.initial_interval));
    QUARRY_RETURN_IF_ERROR(r.Number("backoff_coefficient", &out.retry.backoff_coefficient));
    QUARRY_RETURN_IF_ERROR(r.Dur("maximum_interval", &out.retry.maximum_interval));
    QUARRY_RETURN_IF_ERROR(r.Finish());
    if (out.retry.max_attempts < 1 || out.retry.max_attempts > 100) {
      return InvalidArgumentError("\"retry.max_attempts\" must be in 1..100");
    }
    if (!(out.retry.backoff_coefficient >= 1.0) || out.retry.backoff_coefficient > 100) {
      return InvalidArgumentError("\"retry.backoff_coefficient\" must be in 1..100");
    }
  }
  QUARRY_RETURN_IF_ERROR(st);
  if (const json* act = f.Object("activity", &st)) {
    Fields a(*act, "activity");
    QUARRY_RETURN_IF_ERROR(a.Dur("start_to_close_timeout", &out.activity.start_to_close));
    QUARRY_RETURN_IF_ERROR(a.Dur("heartbeat_timeout", &out.activity.heartbeat));
    QUARRY_RETURN_IF_ERROR(a.Dur("schedule_to_start_timeout", &out.activity.schedule_to_start));
    QUARRY_RETURN_IF_ERROR(a.Finish());
    if (out.activity.start_to_close.count() <= 0) {
      return InvalidArgumentError("\"activity.start_to_close_timeout\" must be positive");
    }
  }
  QUARRY_RETURN_IF_ERROR(st);
  if (const json* notify = f.Object("notify", &st)) {
    NotifyParams n;
    Fields nf(*notify, "notify");
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
    out.notify = std::move(n);
  }
  QUARRY_RETURN_IF_ERROR(st);
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
