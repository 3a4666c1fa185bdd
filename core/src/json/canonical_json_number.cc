// Numbers in the canonical notation (§4.8): shortest round-trip digits, Go/ES plain or exponent
// notation.
#include <charconv>
#include <cmath>

#include "json/canonical_json_internal.h"
#include "quarry/json/canonical_json.h"

namespace quarry::json {
namespace {

// Go's encoding/json (like ECMAScript) prints the shortest round-trip digits, in plain notation
// inside [1e-6, 1e21) and in exponent notation without leading exponent zeros outside it. Plain
// notation pads with zeros rather than printing the exact binary value, which std::to_chars'
// fixed format would do for large integers ("123456789012345680000", not "...683968"), so the
// text is laid out here from to_chars' shortest scientific digits.
template <typename Float>
void AppendShortest(Float v, Float lower, Float upper, std::string* out) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  // buf = [-]d[.ddd]e(+|-)xx
  const char* p = buf;
  const bool negative = *p == '-';
  if (negative) ++p;
  char digits[24];
  size_t n = 0;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  ++p;
  const bool exp_negative = *p == '-';
  int exp = 0;
  for (++p; p < r.ptr; ++p) exp = exp * 10 + (*p - '0');
  if (exp_negative) exp = -exp;

  if (negative) out->push_back('-');
  const Float a = std::fabs(v);
  if (a != 0 && (a < lower || a >= upper)) {
    out->push_back(digits[0]);
    if (n > 1) {
      out->push_back('.');
      out->append(digits + 1, n - 1);
    }
    out->push_back('e');
    out->push_back(exp_negative ? '-' : '+');
    out->append(std::to_string(exp_negative ? -exp : exp));
  } else if (exp < 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-exp - 1), '0');
    out->append(digits, n);
  } else if (static_cast<size_t>(exp) + 1 >= n) {
    out->append(digits, n);
    out->append(static_cast<size_t>(exp) + 1 - n, '0');
  } else {
    const size_t int_digits = static_cast<size_t>(exp) + 1;
    out->append(digits, int_digits);
    out->push_back('.');
    out->append(digits + int_digits, n - int_digits);
  }
}

}  // namespace

namespace internal {

void AppendFloat32(float v, std::string* out) { AppendShortest<float>(v, 1e-6f, 1e21f, out); }

}  // namespace internal

void AppendDouble(double v, std::string* out) {
  // Integral values well inside the plain-notation range print as integers; this skips the
  // shortest-digits search for the common "5.0" case. -0 goes the general way ("-0").
  if (v != 0 && std::fabs(v) < 1e15 && std::trunc(v) == v) {
    internal::AppendInteger(static_cast<int64_t>(v), out);
    return;
  }
  AppendShortest<double>(v, 1e-6, 1e21, out);
}

}  // namespace quarry::json
