// §6.2 YAML: the JSON keys and order, two-space indentation, nulls as `null`.
#include <yaml-cpp/yaml.h>

#include <regex>

#include "output/render.h"

namespace quarry::cli::output {
namespace {

// A plain scalar that a YAML reader (1.1 or 1.2 core schema) would take for something other than
// a string: such strings are written double-quoted so that they read back as strings.
bool ResolvesAsNonString(const std::string& s) {
  static const std::regex kSpecial(
      "|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|"
      "OFF|y|Y|n|N|[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|"
      "0o?[0-7_]+|0b[01_]+|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)|[0-9]+(:[0-5]?[0-9])+(\\.[0-9_]*)"
      "?|"
      "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?");
  return std::regex_match(s, kSpecial);
}

void Emit(YAML::Emitter& e, const nlohmann::ordered_json& v) {
  switch (v.type()) {
    case nlohmann::ordered_json::value_t::object:
      if (v.empty()) {
        e << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      e << YAML::BeginMap;
      for (auto it = v.begin(); it != v.end(); ++it) {
        e << YAML::Key << it.key() << YAML::Value;
        Emit(e, it.value());
      }
      e << YAML::EndMap;
      return;
    case nlohmann::ordered_json::value_t::array:
      if (v.empty()) {
        e << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      e << YAML::BeginSeq;
      for (const auto& el : v) Emit(e, el);
      e << YAML::EndSeq;
      return;
    case nlohmann::ordered_json::value_t::null:
      e << YAML::Null;
      return;
    case nlohmann::ordered_json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      if (ResolvesAsNonString(s)) e << YAML::DoubleQuoted;
      e << s;
      return;
    }
    case nlohmann::ordered_json::value_t::boolean:
      e << (v.get<bool>() ? "true" : "false");
      return;
    default:  // numbers: their JSON text, plain
      e << v.dump();
      return;
  }
}

}  // namespace

std::string RenderYaml(const nlohmann::ordered_json& value) {
  YAML::Emitter e;
  e.SetIndent(2);
  e.SetNullFormat(YAML::LowerNull);
  Emit(e, value);
  std::string out = e.c_str();
  if (out.empty() || out.back() != '\n') out.push_back('\n');
  return out;
}

}  // namespace quarry::cli::output
