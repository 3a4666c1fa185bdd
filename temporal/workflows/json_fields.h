// Reading the fields of one JSON object of an interop payload: typed getters that remember
// which keys were read, so Finish() can report unknown ones (a typo is an error, not ignored).
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "quarry/duration.h"
#include "quarry/status.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal {

class Fields {
  using json = nlohmann::json;

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

// Building blocks shared by the workflow inputs (extraction_params.cc).

// run_id, attempt and parent_run_id are the workflow's to set.
void ForbidLineage(Fields& f);
// `retry`, `activity` and `notify`.
Status ParseWorkflowKnobs(Fields& f, WorkflowRetry* retry, ActivityTimeouts* activity,
                          std::optional<NotifyParams>* notify);

}  // namespace quarry::temporal
