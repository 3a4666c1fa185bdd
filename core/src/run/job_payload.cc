#include "quarry/run/run_spec.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "quarry/json/parse.h"

namespace quarry::run {
namespace {

std::string Describe(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::array:
      return "array (length " + std::to_string(v.size()) + ")";
    case nlohmann::json::value_t::string: {
      std::string s = v.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "string (\"" + s + "\")";
    }
    case nlohmann::json::value_t::boolean:
      return std::string("boolean (") + (v.get<bool>() ? "true" : "false") + ")";
    default:
      return "number (" + v.dump() + ")";
  }
}

StatusOr<std::string> Parse(const std::string& text, const std::string& what) {
  StatusOr<nlohmann::json> parsed = json::ParseJson(text, what);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& v = *parsed;
  if (!v.is_object()) {
    return InvalidArgumentError(what + " must be a JSON object, got " + Describe(v));
  }
  return v.dump();
}

}  // namespace

StatusOr<std::string> LoadJobPayload(const std::optional<std::string>& job,
                                     const std::optional<std::string>& job_file) {
  if (job && job_file) {
    return InvalidArgumentError("--job and --job-json are mutually exclusive");
  }
  if (job) return Parse(*job, "--job");
  if (job_file) {
    std::ifstream in(*job_file);
    if (!in) return InvalidArgumentError("--job-json: cannot read " + *job_file);
    std::stringstream ss;
    ss << in.rdbuf();
    return Parse(ss.str(), "--job-json file " + *job_file);
  }
  return std::string("{}");
}

}  // namespace quarry::run
