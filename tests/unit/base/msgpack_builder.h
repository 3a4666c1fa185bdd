// Test helper: spells msgpack values byte by byte, in exactly the wire form asked for (also the
// non-minimal widths an encoder is free to use), so tests can cover every format.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace quarry::testing {

namespace mp {

inline std::string BE(uint64_t v, int n) {
  std::string s;
  for (int i = n - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}
inline std::string Byte(unsigned b) { return std::string(1, static_cast<char>(b)); }

inline std::string Nil() { return Byte(0xc0); }
inline std::string Bool(bool b) { return Byte(b ? 0xc3 : 0xc2); }

// Smallest encoding, like a conforming encoder.
inline std::string Uint(uint64_t v) {
  if (v <= 0x7f) return Byte(static_cast<unsigned>(v));
  if (v <= 0xff) return Byte(0xcc) + BE(v, 1);
  if (v <= 0xffff) return Byte(0xcd) + BE(v, 2);
  if (v <= 0xffffffff) return Byte(0xce) + BE(v, 4);
  return Byte(0xcf) + BE(v, 8);
}
inline std::string Int(int64_t v) {
  if (v >= 0) return Uint(static_cast<uint64_t>(v));
  if (v >= -32) return Byte(static_cast<unsigned>(v & 0xff));
  if (v >= -128) return Byte(0xd0) + BE(static_cast<uint64_t>(v), 1);
  if (v >= -32768) return Byte(0xd1) + BE(static_cast<uint64_t>(v), 2);
  if (v >= INT32_MIN) return Byte(0xd2) + BE(static_cast<uint64_t>(v), 4);
  return Byte(0xd3) + BE(static_cast<uint64_t>(v), 8);
}
// Explicit widths.
inline std::string U8(uint64_t v) { return Byte(0xcc) + BE(v, 1); }
inline std::string U16(uint64_t v) { return Byte(0xcd) + BE(v, 2); }
inline std::string U32(uint64_t v) { return Byte(0xce) + BE(v, 4); }
inline std::string U64(uint64_t v) { return Byte(0xcf) + BE(v, 8); }
inline std::string I8(int64_t v) { return Byte(0xd0) + BE(static_cast<uint64_t>(v), 1); }
inline std::string I16(int64_t v) { return Byte(0xd1) + BE(static_cast<uint64_t>(v), 2); }
inline std::string I32(int64_t v) { return Byte(0xd2) + BE(static_cast<uint64_t>(v), 4); }
inline std::string I64(int64_t v) { return Byte(0xd3) + BE(static_cast<uint64_t>(v), 8); }

inline std::string F64(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return Byte(0xcb) + BE(bits, 8);
}
inline std::string F32(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return Byte(0xca) + BE(bits, 4);
}

inline std::string Str(std::string_view s) {
  const size_t n = s.size();
  std::string h;
  if (n <= 31) {
    h = Byte(0xa0 | static_cast<unsigned>(n));
  } else if (n <= 0xff) {
    h = Byte(0xd9) + BE(n, 1);
  } else if (n <= 0xffff) {
    h = Byte(0xda) + BE(n, 2);
  } else {
    h = Byte(0xdb) + BE(n, 4);
  }
  return h + std::string(s);
}
inline std::string Str8(std::string_view s) {
  return Byte(0xd9) + BE(s.size(), 1) + std::string(s);
}
inline std::string Str16(std::string_view s) {
  return Byte(0xda) + BE(s.size(), 2) + std::string(s);
}
inline std::string Str32(std::string_view s) {
  return Byte(0xdb) + BE(s.size(), 4) + std::string(s);
}

inline std::string Bin(std::string_view s) {
  const size_t n = s.size();
  if (n <= 0xff) return Byte(0xc4) + BE(n, 1) + std::string(s);
  if (n <= 0xffff) return Byte(0xc5) + BE(n, 2) + std::string(s);
  return Byte(0xc6) + BE(n, 4) + std::string(s);
}
inline std::string Bin16(std::string_view s) {
  return Byte(0xc5) + BE(s.size(), 2) + std::string(s);
}
inline std::string Bin32(std::string_view s) {
  return Byte(0xc6) + BE(s.size(), 4) + std::string(s);
}

// Container headers; the elements follow.
inline std::string MapHeader(uint32_t n) {
  if (n <= 15) return Byte(0x80 | n);
  if (n <= 0xffff) return Byte(0xde) + BE(n, 2);
  return Byte(0xdf) + BE(n, 4);
}
inline std::string Map16Header(uint32_t n) { return Byte(0xde) + BE(n, 2); }
inline std::string Map32Header(uint32_t n) { return Byte(0xdf) + BE(n, 4); }
inline std::string ArrayHeader(uint32_t n) {
  if (n <= 15) return Byte(0x90 | n);
  if (n <= 0xffff) return Byte(0xdc) + BE(n, 2);
  return Byte(0xdd) + BE(n, 4);
}
inline std::string Array16Header(uint32_t n) { return Byte(0xdc) + BE(n, 2); }
inline std::string Array32Header(uint32_t n) { return Byte(0xdd) + BE(n, 4); }

// A map of string keys to already-encoded values, in the given order.
inline std::string Map(std::initializer_list<std::pair<std::string_view, std::string>> kv) {
  std::string s = MapHeader(static_cast<uint32_t>(kv.size()));
  for (const auto& [k, v] : kv) s += Str(k) + v;
  return s;
}
inline std::string Array(std::initializer_list<std::string> items) {
  std::string s = ArrayHeader(static_cast<uint32_t>(items.size()));
  for (const auto& v : items) s += v;
  return s;
}

// Extension with the smallest header for its body length.
inline std::string Ext(int8_t type, std::string_view body) {
  const size_t n = body.size();
  const std::string t = Byte(static_cast<uint8_t>(type));
  switch (n) {
    case 1:
      return Byte(0xd4) + t + std::string(body);
    case 2:
      return Byte(0xd5) + t + std::string(body);
    case 4:
      return Byte(0xd6) + t + std::string(body);
    case 8:
      return Byte(0xd7) + t + std::string(body);
    case 16:
      return Byte(0xd8) + t + std::string(body);
    default:
      break;
  }
  if (n <= 0xff) return Byte(0xc7) + BE(n, 1) + t + std::string(body);
  if (n <= 0xffff) return Byte(0xc8) + BE(n, 2) + t + std::string(body);
  return Byte(0xc9) + BE(n, 4) + t + std::string(body);
}
inline std::string Timestamp32(uint32_t sec) { return Ext(-1, BE(sec, 4)); }
inline std::string Timestamp64(uint64_t sec, uint32_t nsec) {
  return Ext(-1, BE((uint64_t{nsec} << 34) | sec, 8));
}
inline std::string Timestamp96(int64_t sec, uint32_t nsec) {
  return Ext(-1, BE(nsec, 4) + BE(static_cast<uint64_t>(sec), 8));
}

}  // namespace mp

// Length-prefixed frame around a payload.
inline std::string Framed(std::string_view payload) {
  return mp::BE(payload.size(), 4) + std::string(payload);
}

inline std::string FromHex(std::string_view hex) {
  std::string out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>((nib(hex[i]) << 4) | nib(hex[i + 1])));
  }
  return out;
}
inline std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

}  // namespace quarry::testing
