#include "cli/annotations.h"

#include "client/payload.h"
#include "quarry/redact.h"

namespace quarry::temporal::cli {
namespace {

using nlohmann::json;

Status ParsePairs(const char* flag, const std::vector<std::string>& given,
                  std::map<std::string, json>* out) {
  for (const std::string& kv : given) {
    const auto eq = kv.find('=');
    const std::string shown = "\"" + PrintableValue(kv, 80) + "\"";
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError(std::string(flag) + " " + shown + ": expected key=value");
    }
    const std::string key = kv.substr(0, eq);
    const std::string text = kv.substr(eq + 1);
    if (out->count(key)) {
      return InvalidArgumentError(std::string(flag) + " " + shown + ": key \"" +
                                  PrintableValue(key, 40) + "\" given twice");
    }
    json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) value = text;
    (*out)[key] = std::move(value);
  }
  return Status::Ok();
}

}  // namespace

void AddAnnotationFlags(CLI::App* cmd, AnnotationFlags* f) {
  cmd->add_option("--search-attribute", f->search_attributes,
                  "Search attribute key=value (value: JSON, else text); repeatable. The key must "
                  "be registered on the namespace");
  cmd->add_option("--memo", f->memo, "Memo key=value (value: JSON, else text); repeatable");
}

StatusOr<Annotations> ParseAnnotations(const AnnotationFlags& f) {
  Annotations a;
  QUARRY_RETURN_IF_ERROR(
      ParsePairs("--search-attribute", f.search_attributes, &a.search_attributes));
  QUARRY_RETURN_IF_ERROR(ParsePairs("--memo", f.memo, &a.memo));
  return a;
}

void FillSearchAttributes(const Annotations& a, ::temporal::api::common::v1::SearchAttributes* sa) {
  for (const auto& [key, value] : a.search_attributes) {
    (*sa->mutable_indexed_fields())[key] = JsonPayloads(value).payloads(0);
  }
}

void FillMemo(const Annotations& a, ::temporal::api::common::v1::Memo* memo) {
  for (const auto& [key, value] : a.memo) {
    (*memo->mutable_fields())[key] = JsonPayloads(value).payloads(0);
  }
}

}  // namespace quarry::temporal::cli
