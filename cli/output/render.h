// Output formats of the read-only commands (cli-and-integrations.md §5.1, §6.1–§6.3): JSON, YAML
// and aligned tables with state colours, and the `--format` / `--no-color` / `--tui` flags every
// inspect, stats, list, debug and version leaf command has.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "quarry/status.h"

namespace quarry::cli::output {

enum class Format { kJson, kTable, kYaml };

// "" = auto: table when stdout is a terminal, else json. Case-insensitive. Another value ->
// `invalid format: "<v>" (must be json, table, or yaml)`.
StatusOr<Format> ResolveFormat(std::string_view flag, bool stdout_is_tty);

// The colour of a state or outcome cell (§6.3), shared by tables and the TUI: succeeded,
// completed, idle and success are good; running and in progress busy; failed, error and every
// other outcome bad; other keys, empty values and "unscheduled" none.
enum class Tone { kNone, kGood, kBusy, kBad };
Tone StateTone(std::string_view key, std::string_view value);

// Colour only on a terminal, without --no-color and without NO_COLOR (any value, even empty).
bool ColorEnabled(bool no_color_flag, bool stdout_is_tty);

std::string RenderJson(const nlohmann::ordered_json& value);  // 2-space indent, trailing LF
std::string RenderYaml(const nlohmann::ordered_json& value);  // same keys as JSON (D11.18)
std::string RenderTable(const nlohmann::ordered_json& value, bool color);
std::string Render(const nlohmann::ordered_json& value, Format format, bool color);

// The command families of §5.1 (`--tui` is only for inspect and stats).
enum class Family { kInspect, kStats, kList, kDebug, kVersion };

struct OutputFlags {
  std::string format;
  bool no_color = false;
  bool tui = false;
};

void AddOutputFlags(CLI::App* cmd, OutputFlags* flags);

// What a leaf command renders with, after the §5.1 checks in order: the format, then `--tui`
// (`--tui is not supported for list commands` / `... debug commands` / `... version command`).
struct OutputChoice {
  Format format = Format::kJson;
  bool color = false;
  bool tui = false;
};
StatusOr<OutputChoice> ChooseOutput(const OutputFlags& flags, Family family);

}  // namespace quarry::cli::output
