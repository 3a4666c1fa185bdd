// Pieces of the canonical JSON encoder (storage-and-policies.md §4.8) shared by its source files:
// the string quoting, integer, float32 and timestamp writers the msgpack transcoder and the object
// builder are made of. Private to core/src/json.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "msgpack/reader.h"

namespace quarry::json::internal {

// Length of the well-formed UTF-8 sequence at p (Unicode table 3-7: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when the first byte does not start one.
size_t Utf8SequenceLength(const unsigned char* p, size_t n);

// Appends `s` as a JSON string, then `suffix` unless it is 0.
void AppendQuoted(std::string_view s, char suffix, std::string* out);

template <typename Int>
void AppendInteger(Int v, std::string* out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

// A float32 with float32 precision, in the notation of AppendDouble. Precondition: finite.
void AppendFloat32(float v, std::string* out);

// Seconds of 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: RFC 3339 has four-digit years.
inline constexpr int64_t kMinRfc3339Seconds = -62'167'219'200;
inline constexpr int64_t kMaxRfc3339Seconds = 253'402'300'799;

// RFC 3339 in UTC, fraction trimmed of trailing zeros (Go's RFC3339Nano). False when the year is
// outside 0000..9999.
bool AppendRfc3339(const msgpack::Timestamp& ts, std::string* out);

}  // namespace quarry::json::internal
