#include "output/render.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace quarry::cli::output {

StatusOr<Format> ResolveFormat(std::string_view flag, bool stdout_is_tty) {
  if (flag.empty()) return stdout_is_tty ? Format::kTable : Format::kJson;
  std::string lower(flag);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "json") return Format::kJson;
  if (lower == "table") return Format::kTable;
  if (lower == "yaml") return Format::kYaml;
  return InvalidArgumentError("invalid format: \"" + std::string(flag) +
                              "\" (must be json, table, or yaml)");
}

bool ColorEnabled(bool no_color_flag, bool stdout_is_tty) {
  return stdout_is_tty && !no_color_flag && std::getenv("NO_COLOR") == nullptr;
}

std::string RenderJson(const nlohmann::ordered_json& value) { return value.dump(2) + "\n"; }

std::string Render(const nlohmann::ordered_json& value, Format format, bool color) {
  switch (format) {
    case Format::kJson:
      return RenderJson(value);
    case Format::kYaml:
      return RenderYaml(value);
    case Format::kTable:
      return RenderTable(value, color);
  }
  return RenderJson(value);
}

void AddOutputFlags(CLI::App* cmd, OutputFlags* flags) {
  cmd->add_option("-f,--format", flags->format,
                  "Output format: json, table or yaml (default: table on a terminal, else json)");
  cmd->add_flag("--no-color", flags->no_color, "No colour in table output (also: NO_COLOR)");
  cmd->add_flag("--tui", flags->tui, "Interactive full-screen view (inspect and stats only)");
}

StatusOr<OutputChoice> ChooseOutput(const OutputFlags& flags, Family family) {
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  OutputChoice choice;
  QUARRY_ASSIGN_OR_RETURN(choice.format, ResolveFormat(flags.format, tty));
  if (flags.tui) {
    switch (family) {
      case Family::kList:
        return InvalidArgumentError("--tui is not supported for list commands");
      case Family::kDebug:
        return InvalidArgumentError("--tui is not supported for debug commands");
      case Family::kVersion:
        return InvalidArgumentError("--tui is not supported for version command");
      case Family::kInspect:
      case Family::kStats:
        choice.tui = true;
        break;
    }
  }
  choice.color = ColorEnabled(flags.no_color, tty);
  return choice;
}

}  // namespace quarry::cli::output
