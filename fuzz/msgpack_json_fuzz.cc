// The msgpack -> canonical JSON transcoder (json::AppendMsgpackAsJson, docs/ipc-format.md §8,
// storage-and-policies.md §4.8), against msgpack-cxx as an independent decoder.
//
// The input is one msgpack value. Checked:
//   * it transcodes exactly when msgpack-cxx reads it as one whole value that is storable: UTF-8
//     string map keys, finite floats, only timestamp extensions (years 0-9999), at most 256
//     nested containers;
//   * the JSON parses, and says what the msgpack said: integers in full, floats that read back to
//     the same float64/float32, strings with ill-formed UTF-8 replaced byte by byte (as Go does),
//     bin as base64, timestamps as RFC 3339, keys in byte order with the last repeated key winning;
//   * a failure leaves the output untouched; MsgpackAsJsonSizeBound, when it answers, is an upper
//     bound of a transcoding that succeeds;
//   * a frame that decodes as an event has a payload that transcodes unless it holds NaN/Infinity,
//     an out-of-range timestamp or a non-UTF-8 key (the decoder's promise, docs/ipc-format.md §4).
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "quarry/ipc/codec.h"
#include "quarry/json/canonical_json.h"

namespace {

using ojson = nlohmann::ordered_json;

// Go's replacement of ill-formed UTF-8: each byte that does not start a well-formed sequence
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) becomes U+FFFD on its own.
std::string GoUtf8(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned c = b(i);
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xbf;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const unsigned lo_k = k == 1 ? lo : 0x80, hi_k = k == 1 ? hi : 0xbf;
      ok = b(i + k) >= lo_k && b(i + k) <= hi_k;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xef\xbf\xbd");
      ++i;
    }
  }
  return out;
}

std::string Base64(std::string_view s) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < s.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) v |= static_cast<unsigned char>(s[i + 1]) << 8;
    if (i + 2 < s.size()) v |= static_cast<unsigned char>(s[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < s.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < s.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

uint64_t BigEndian(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// The RFC 3339 text of a timestamp extension, or false when it is not storable.
bool Timestamp(const msgpack::object_ext& ext, std::string* out) {
  int64_t sec = 0;
  uint64_t nsec = 0;
  const char* d = ext.data();
  switch (ext.size) {
    case 4:
      sec = static_cast<int64_t>(BigEndian(d, 4));
      break;
    case 8: {
      const uint64_t v = BigEndian(d, 8);
      nsec = v >> 34;
      sec = static_cast<int64_t>(v & ((uint64_t{1} << 34) - 1));
      break;
    }
    case 12:
      nsec = BigEndian(d, 4);
      sec = static_cast<int64_t>(BigEndian(d + 4, 8));
      break;
    default:
      return false;
  }
  if (nsec >= 1'000'000'000) return false;
  const time_t t = static_cast<time_t>(sec);
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr) return false;
  const long year = tm.tm_year + 1900L;
  if (year < 0 || year > 9999) return false;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04ld-%02d-%02dT%02d:%02d:%02d", year, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  *out = buf;
  if (nsec != 0) {
    std::snprintf(buf, sizeof buf, ".%09llu", static_cast<unsigned long long>(nsec));
    std::string frac = buf;
    while (frac.back() == '0') frac.pop_back();
    *out += frac;
  }
  *out += "Z";
  return true;
}

// Whether the transcoder must accept `o` (the rules of the file comment), at nesting `depth`.
bool Storable(const msgpack::object& o, int depth) {
  switch (o.type) {
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return std::isfinite(o.via.f64);
    case msgpack::type::EXT: {
      std::string unused;
      return o.via.ext.type() == -1 && Timestamp(o.via.ext, &unused);
    }
    case msgpack::type::ARRAY:
      if (depth >= 256) return false;
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        if (!Storable(o.via.array.ptr[i], depth + 1)) return false;
      }
      return true;
    case msgpack::type::MAP:
      if (depth >= 256) return false;
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const msgpack::object& key = o.via.map.ptr[i].key;
        if (key.type != msgpack::type::STR) return false;
        // Keys are never replaced, they must be UTF-8 (docs/decisions.md: distinct invalid keys
        // would collapse into one).
        const std::string_view k(key.via.str.ptr, key.via.str.size);
        if (GoUtf8(k) != k) return false;
        if (!Storable(o.via.map.ptr[i].val, depth + 1)) return false;
      }
      return true;
    default:
      return true;
  }
}

void Same(const msgpack::object& o, const ojson& j);

void SameMap(const msgpack::object& o, const ojson& j) {
  FUZZ_CHECK(j.is_object());
  // Last value of each raw key, in byte order of the raw keys.
  std::map<std::string, const msgpack::object*> last;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& k = o.via.map.ptr[i].key.via.str;
    last[std::string(k.ptr, k.size)] = &o.via.map.ptr[i].val;
  }
  FUZZ_CHECK(j.size() == last.size());
  auto it = j.begin();
  for (const auto& kv : last) {
    FUZZ_CHECK_EQ(it.key(), kv.first);
    Same(*kv.second, it.value());
    ++it;
  }
}

void Same(const msgpack::object& o, const ojson& j) {
  switch (o.type) {
    case msgpack::type::NIL:
      FUZZ_CHECK(j.is_null());
      return;
    case msgpack::type::BOOLEAN:
      FUZZ_CHECK(j.is_boolean() && j.get<bool>() == o.via.boolean);
      return;
    case msgpack::type::POSITIVE_INTEGER:
      FUZZ_CHECK(j.is_number_unsigned() && j.get<uint64_t>() == o.via.u64);
      return;
    case msgpack::type::NEGATIVE_INTEGER:
      FUZZ_CHECK(j.is_number_integer() && j.get<int64_t>() == o.via.i64);
      return;
    case msgpack::type::FLOAT64:
      FUZZ_CHECK(j.is_number() && j.get<double>() == o.via.f64);
      return;
    case msgpack::type::FLOAT32:
      FUZZ_CHECK(j.is_number() &&
                 static_cast<float>(j.get<double>()) == static_cast<float>(o.via.f64));
      return;
    case msgpack::type::STR:
      FUZZ_CHECK(j.is_string());
      FUZZ_CHECK_EQ(j.get<std::string>(), GoUtf8(std::string_view(o.via.str.ptr, o.via.str.size)));
      return;
    case msgpack::type::BIN:
      FUZZ_CHECK(j.is_string());
      FUZZ_CHECK_EQ(j.get<std::string>(), Base64(std::string_view(o.via.bin.ptr, o.via.bin.size)));
      return;
    case msgpack::type::EXT: {
      std::string ts;
      FUZZ_CHECK(Timestamp(o.via.ext, &ts));
      FUZZ_CHECK(j.is_string());
      FUZZ_CHECK_EQ(j.get<std::string>(), ts);
      return;
    }
    case msgpack::type::ARRAY:
      FUZZ_CHECK(j.is_array() && j.size() == o.via.array.size);
      for (uint32_t i = 0; i < o.via.array.size; ++i) Same(o.via.array.ptr[i], j[i]);
      return;
    case msgpack::type::MAP:
      SameMap(o, j);
      return;
  }
  FUZZ_CHECK(!"unexpected msgpack-cxx type");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  // The reference: msgpack-cxx, with every declared length bounded by the input size (a value
  // cannot hold more elements than it has bytes) so a hostile header cannot make it allocate.
  bool expect_ok = false;
  msgpack::object_handle ref;
  try {
    size_t off = 0;
    const msgpack::unpack_limit limit(size, size, size, size, size, 300);
    ref = msgpack::unpack(in.data(), in.size(), off, nullptr, nullptr, limit);
    expect_ok = off == size && Storable(ref.get(), 0);
  } catch (const std::exception&) {
    expect_ok = false;
  }

  std::string out = "prefix";
  quarry::Status st = quarry::json::AppendMsgpackAsJson(in, "payload", &out);
  const std::optional<size_t> bound = quarry::json::MsgpackAsJsonSizeBound(in);
  if (!st.ok()) {
    FUZZ_CHECK_EQ(out, "prefix");
    FUZZ_CHECK(!bound.has_value());
    if (expect_ok) FUZZ_CHECK_EQ(st.message(), "(success)");
  } else {
    FUZZ_CHECK(expect_ok);
    FUZZ_CHECK(out.rfind("prefix", 0) == 0);
    const std::string json = out.substr(6);
    if (bound) FUZZ_CHECK(json.size() <= *bound);
    ojson parsed = ojson::parse(json, nullptr, /*allow_exceptions=*/false);
    FUZZ_CHECK(!parsed.is_discarded());
    Same(ref.get(), parsed);
  }

  // The same bytes as a frame payload: an event the decoder accepts has a storable payload,
  // short of NaN/Infinity and out-of-range timestamps.
  auto frame = quarry::ipc::DecodeFrame(std::make_shared<const std::string>(in));
  if (frame.ok()) {
    if (const auto* ev = std::get_if<quarry::Event>(&*frame)) {
      std::string payload;
      quarry::Status ps =
          quarry::json::AppendMsgpackAsJson(ev->Get(ev->payload), "payload", &payload);
      if (!ps.ok()) {
        FUZZ_CHECK(ps.message().find("non-finite number") != std::string::npos ||
                   ps.message().find("timestamp year outside") != std::string::npos ||
                   ps.message().find("map key is not valid UTF-8") != std::string::npos);
      }
    }
  }
  return 0;
}
