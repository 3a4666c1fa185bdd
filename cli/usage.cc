#include "usage.h"

#include <algorithm>

#include "quarry/redact.h"

namespace quarry::cli {

size_t EditDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance: rows i-2, i-1 and i of the table.
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

std::string ClosestName(std::string_view word, const std::vector<std::string>& known) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& name : known) {
    size_t d = EditDistance(word, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  // Dashes do not count towards the length: "--x" must not suggest "--y".
  size_t letters = std::count_if(word.begin(), word.end(), [](char c) { return c != '-'; });
  if (best_distance > 2 || best_distance * 2 >= letters) return "";
  return best;
}

namespace {

bool LooksLikeFlag(std::string_view arg) { return arg.size() > 1 && arg[0] == '-'; }

bool LooksLikeScript(std::string_view arg) {
  for (std::string_view ext : {".js", ".mjs", ".ts", ".mts"}) {
    if (arg.size() > ext.size() && arg.substr(arg.size() - ext.size()) == ext) return true;
  }
  return false;
}

}  // namespace

std::string UnknownArgumentsMessage(const std::vector<std::string>& remaining,
                                    const std::vector<std::string>& known) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < remaining.size(); ++i) {
    std::string_view arg = remaining[i];
    std::string shown = PrintableValue(std::string(arg), 80);
    if (!LooksLikeFlag(arg)) {
      std::string part = "unexpected argument \"" + shown + "\"";
      if (LooksLikeScript(arg)) part += " (did you mean --script " + shown + "?)";
      parts.push_back(part);
      continue;
    }
    std::string_view name = arg.substr(0, arg.find('='));
    std::string part = "unknown flag " + PrintableValue(std::string(name), 80);
    if (std::string near = ClosestName(name, known); !near.empty()) {
      part += " (did you mean " + near + "?)";
    }
    parts.push_back(part);
    // `--sorce shop`: "shop" is the unknown flag's value, not a second mistake.
    if (name.size() == arg.size() && i + 1 < remaining.size() && !LooksLikeFlag(remaining[i + 1])) {
      ++i;
    }
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string MissingFlagsMessage(const std::vector<std::string>& missing) {
  if (missing.size() == 1) return missing[0] + " is required";
  std::string out = "missing required flags: ";
  for (size_t i = 0; i < missing.size(); ++i) out += (i ? ", " : "") + missing[i];
  return out;
}

}  // namespace quarry::cli
