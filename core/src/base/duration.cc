#include "quarry/duration.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace quarry {
namespace {

struct Unit {
  std::string_view name;
  int64_t ns;
};

// Longest names first so "ms" is not read as "m" + "s".
constexpr Unit kUnits[] = {
    {"ns", 1},         {"us", 1'000},        {"\xC2\xB5s", 1'000},  {"\xCE\xBCs", 1'000},
    {"ms", 1'000'000}, {"s", 1'000'000'000}, {"m", 60'000'000'000}, {"h", 3'600'000'000'000}};

Status Invalid(std::string_view text, std::string_view why) {
  return InvalidArgumentError("invalid duration \"" + std::string(text) +
                              "\": " + std::string(why));
}

// Appends v with up to `digits` fraction digits of v/10^digits, trailing zeros trimmed.
void AppendFraction(std::string* out, uint64_t v, int digits) {
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  *out += std::to_string(v / scale);
  uint64_t frac = v % scale;
  if (frac == 0) return;
  std::string f = std::to_string(frac);
  f.insert(0, static_cast<size_t>(digits) - f.size(), '0');
  while (!f.empty() && f.back() == '0') f.pop_back();
  *out += '.';
  *out += f;
}

}  // namespace

StatusOr<Duration> ParseDuration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration(0);
  if (s.empty()) return Invalid(text, "empty");
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    uint64_t whole = 0;
    bool any = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      ++i;
      any = true;
    }
    long double frac = 0, scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        scale /= 10;
        frac += static_cast<long double>(s[i] - '0') * scale;
        ++i;
        any = true;
      }
    }
    if (!any) return Invalid(text, "expected a number");
    s.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (s.substr(0, u.name.size()) == u.name && (u.name != "m" || s.substr(0, 2) != "ms")) {
        if (unit == nullptr || u.name.size() > unit->name.size()) unit = &u;
      }
    }
    if (unit == nullptr) {
      return Invalid(text, s.empty() ? "missing unit (use ns, us, ms, s, m or h)"
                                     : "unknown unit \"" + std::string(s.substr(0, 2)) + "\"");
    }
    s.remove_prefix(unit->name.size());
    total += (static_cast<long double>(whole) + frac) * static_cast<long double>(unit->ns);
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
      return Invalid(text, "out of range");
    }
  }
  auto ns = static_cast<int64_t>(std::llround(static_cast<double>(total)));
  return Duration(negative ? -ns : ns);
}

std::string FormatDuration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  if (ns < 0) out += '-';
  if (u < 1'000'000'000) {
    // Below one second the largest fitting sub-second unit is used, with a fraction.
    if (u < 1'000) {
      out += std::to_string(u) + "ns";
    } else if (u < 1'000'000) {
      AppendFraction(&out, u, 3);
      out += "\xC2\xB5s";
    } else {
      AppendFraction(&out, u, 6);
      out += "ms";
    }
    return out;
  }
  uint64_t hours = u / 3'600'000'000'000ULL;
  u %= 3'600'000'000'000ULL;
  uint64_t minutes = u / 60'000'000'000ULL;
  u %= 60'000'000'000ULL;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  AppendFraction(&out, u, 9);
  out += "s";
  return out;
}

}  // namespace quarry
