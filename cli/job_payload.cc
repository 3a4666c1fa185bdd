#include "job_payload.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace quarry::cli {
namespace {

std::string Describe(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::array: return "array (length " + std::to_string(v.size()) + ")";
    case nlohmann::json::value_t::string: {
      std::string s = v.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "string (\"" + s + "\")";
    }
    case nlohmann::json::value_t::boolean: return std::string("boolean (") + (v.get<bool>() ? "true" : "false") + ")";
    default: return "number (" + v.dump() + ")";
  }
}

StatusOr<std::string> Parse(const std::string& text, const std::string& what) {
  auto v = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return InvalidArgumentError(what + " is not valid JSON");
  if (!v.is_object()) {
    return InvalidArgumentError(what + " must be a JSON object, got " + Describe(v));
  }
  return v.dump();
}

}  // namespace

StatusOr<std::string> LoadJobPayload(const std::string& job_flag, bool job_set,
                                     const std::string& job_file, bool job_file_set) {
  if (job_set && job_file_set) {
    return InvalidArgumentError("--job and --job-json are mutually exclusive");
  }
  if (job_set) return Parse(job_flag, "--job");
  if (job_file_set) {
    std::ifstream in(job_file);
    if (!in) return InvalidArgumentError("--job-json: cannot read " + job_file);
    std::stringstream ss;
    ss << in.rdbuf();
    return Parse(ss.str(), "--job-json file " + job_file);
  }
  return std::string("{}");
}

}  // namespace quarry::cli
