#include "run/run_request.h"

#include <nlohmann/json.hpp>

#include "quarry/json/canonical_json.h"
#include "quarry/json/parse.h"

namespace quarry::run {
namespace {

void AppendValue(const nlohmann::json& v, std::string* out) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      *out += "null";
      break;
    case nlohmann::json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      break;
    case nlohmann::json::value_t::number_integer:
      *out += std::to_string(v.get<int64_t>());
      break;
    case nlohmann::json::value_t::number_unsigned:
      *out += std::to_string(v.get<uint64_t>());
      break;
    case nlohmann::json::value_t::number_float:
      json::AppendDouble(v.get<double>(), out);
      break;
    case nlohmann::json::value_t::string:
      json::AppendString(v.get_ref<const std::string&>(), out);
      break;
    case nlohmann::json::value_t::array: {
      *out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) *out += ',';
        first = false;
        AppendValue(e, out);
      }
      *out += ']';
      break;
    }
    case nlohmann::json::value_t::object: {
      *out += '{';
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) *out += ',';
        first = false;
        json::AppendString(k, out);
        *out += ':';
        AppendValue(e, out);
      }
      *out += '}';
      break;
    }
    default:
      *out += "null";
      break;
  }
}

void Key(std::string_view k, std::string* out, bool comma = true) {
  if (comma) *out += ',';
  json::AppendString(k, out);
  *out += ':';
}

}  // namespace

StatusOr<std::string> BuildRunRequest(const RunConfig& c, const std::string& day) {
  // The CLI and the Temporal activity checked the payload already; RunConfig is public, so a
  // library caller's payload is bounded here too (AppendValue recurses once per level).
  StatusOr<nlohmann::json> parsed = json::ParseJson(c.job_json, "job payload");
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& job = *parsed;
  std::string out = "{";
  Key("run_id", &out, false);
  json::AppendString(c.meta.run_id, &out);
  Key("attempt", &out);
  out += std::to_string(c.meta.attempt);
  if (c.meta.job_id && !c.meta.job_id->empty()) {
    Key("job_id", &out);
    json::AppendString(*c.meta.job_id, &out);
  }
  if (c.meta.parent_run_id && !c.meta.parent_run_id->empty()) {
    Key("parent_run_id", &out);
    json::AppendString(*c.meta.parent_run_id, &out);
  }
  Key("job", &out);
  AppendValue(job, &out);
  if (c.proxy) {
    Key("proxy", &out);
    out += '{';
    Key("protocol", &out, false);
    json::AppendString(c.proxy->protocol, &out);
    Key("host", &out);
    json::AppendString(c.proxy->host, &out);
    Key("port", &out);
    out += std::to_string(c.proxy->port);
    if (c.proxy->username) {
      Key("username", &out);
      json::AppendString(*c.proxy->username, &out);
    }
    if (c.proxy->password) {
      Key("password", &out);
      json::AppendString(*c.proxy->password, &out);
    }
    out += '}';
  }
  if (c.resume) {
    Key("resume", &out);
    out += '{';
    Key("checkpoint_id", &out, false);
    json::AppendString(c.resume->checkpoint_id, &out);
    Key("run_id", &out);
    json::AppendString(c.resume->run_id, &out);
    out += '}';
  }
  if (!c.browser_ws_endpoint.empty()) {
    Key("browser_ws_endpoint", &out);
    json::AppendString(c.browser_ws_endpoint, &out);
  }
  Key("storage", &out);
  out += '{';
  Key("dataset", &out, false);
  json::AppendString(c.dataset, &out);
  Key("source", &out);
  json::AppendString(c.source, &out);
  Key("category", &out);
  json::AppendString(c.category, &out);
  Key("day", &out);
  json::AppendString(day, &out);
  Key("run_id", &out);
  json::AppendString(c.meta.run_id, &out);
  out += "}}\n";
  return out;
}

}  // namespace quarry::run
