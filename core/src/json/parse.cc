#include "quarry/json/parse.h"

#include <string>

namespace quarry::json {

size_t FindTooDeep(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is, cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return i;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return std::string_view::npos;
}

StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view what, int max_depth) {
  if (size_t at = FindTooDeep(text, max_depth); at != std::string_view::npos) {
    return InvalidArgumentError(std::string(what) + " is nested deeper than " +
                                std::to_string(max_depth) + " levels (at byte " +
                                std::to_string(at) + ")");
  }
  auto v = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return InvalidArgumentError(std::string(what) + " is not valid JSON");
  return v;
}

std::string StringOr(const nlohmann::json& obj, const char* key, std::string fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

int64_t IntOr(const nlohmann::json& obj, const char* key, int64_t fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return fallback;
  if (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t{INT64_MAX}) return fallback;
  return it->get<int64_t>();
}

}  // namespace quarry::json
