// §6.3 tables: a single object as aligned key/value lines, an array as a header row and one row
// per element; cells summarised, state and outcome cells coloured.
#include <string>
#include <vector>

#include "output/render.h"

namespace quarry::cli::output {
namespace {

using nlohmann::ordered_json;

constexpr std::string_view kGreen = "\033[32m", kAmber = "\033[33m", kRed = "\033[31m",
                           kReset = "\033[0m";

std::string Scalar(const ordered_json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// `nested_single`: a value inside a single-object table, where objects print as "{...}".
std::string Cell(const ordered_json& v, bool nested_single) {
  if (v.is_array()) return v.empty() ? "[]" : "[" + std::to_string(v.size()) + " items]";
  if (v.is_object()) {
    if (v.empty()) return "{}";
    return nested_single ? "{...}" : "{" + std::to_string(v.size()) + " keys}";
  }
  return Scalar(v);
}

std::string_view ColourOf(std::string_view key, std::string_view value) {
  switch (StateTone(key, value)) {
    case Tone::kGood:
      return kGreen;
    case Tone::kBusy:
      return kAmber;
    case Tone::kBad:
      return kRed;
    case Tone::kNone:
      break;
  }
  return {};
}

struct Row {
  std::vector<std::string> cells;
  std::vector<std::string_view> colours;
};

// Columns separated by two spaces of padding; colour codes do not count towards the width, and
// the last column is not padded.
std::string Align(const std::vector<Row>& rows) {
  std::vector<size_t> width;
  for (const Row& r : rows) {
    if (width.size() < r.cells.size()) width.resize(r.cells.size(), 0);
    for (size_t i = 0; i < r.cells.size(); ++i) width[i] = std::max(width[i], r.cells[i].size());
  }
  std::string out;
  for (const Row& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.cells.size(); ++i) {
      const std::string_view colour = i < r.colours.size() ? r.colours[i] : std::string_view();
      if (!colour.empty()) line.append(colour);
      line.append(r.cells[i]);
      if (!colour.empty()) line.append(kReset);
      if (i + 1 < r.cells.size()) line.append(width[i] - r.cells[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();  // an empty last cell
    out.append(line).push_back('\n');
  }
  return out;
}

}  // namespace

Tone StateTone(std::string_view key, std::string_view value) {
  if (key != "state" && key != "outcome") return Tone::kNone;
  if (value == "succeeded" || value == "completed" || value == "idle" || value == "success") {
    return Tone::kGood;
  }
  if (value == "running" || value == "in progress") return Tone::kBusy;
  if (value.empty() || value == "unscheduled") return Tone::kNone;
  // failed, error, and every outcome other than success.
  return Tone::kBad;
}

std::string RenderTable(const ordered_json& value, bool color) {
  std::vector<Row> rows;
  if (value.is_array()) {
    if (value.empty()) return "(no results)\n";
    // Header: the keys of the elements, in the order they first appear.
    std::vector<std::string> keys;
    for (const auto& el : value) {
      if (!el.is_object()) continue;
      for (auto it = el.begin(); it != el.end(); ++it) {
        if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) keys.push_back(it.key());
      }
    }
    if (keys.empty()) {  // an array of scalars: one column
      for (const auto& el : value) rows.push_back({{Cell(el, false)}, {}});
      return Align(rows);
    }
    rows.push_back({keys, {}});
    for (const auto& el : value) {
      Row r;
      for (const std::string& k : keys) {
        const ordered_json v = el.is_object() && el.contains(k) ? el[k] : ordered_json();
        r.cells.push_back(Cell(v, false));
        r.colours.push_back(color ? ColourOf(k, r.cells.back()) : std::string_view());
      }
      rows.push_back(std::move(r));
    }
    return Align(rows);
  }
  if (!value.is_object()) return Scalar(value) + "\n";
  for (auto it = value.begin(); it != value.end(); ++it) {
    Row r;
    r.cells = {it.key(), Cell(it.value(), true)};
    r.colours = {{}, color ? ColourOf(it.key(), r.cells[1]) : std::string_view()};
    rows.push_back(std::move(r));
  }
  return Align(rows);
}

}  // namespace quarry::cli::output
