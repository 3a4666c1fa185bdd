#include "quarry/json/canonical_json.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "msgpack/reader.h"

namespace quarry::json {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// How AppendString treats each byte: copy, escape (ASCII), or inspect as UTF-8 (>= 0x80).
enum ByteClass : uint8_t { kCopy = 0, kEscape = 1, kMultiByte = 2 };

constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&') {
      t[c] = kEscape;
    } else if (c >= 0x80) {
      t[c] = kMultiByte;
    } else {
      t[c] = kCopy;
    }
  }
  return t;
}();

// Position of the first byte in [i, n) that AppendQuoted cannot copy as it is, or n. Nearly every
// string stored is plain ASCII without quotes or markup characters, so this scan is most of the
// cost of quoting it.
size_t SkipPlain(const unsigned char* p, size_t i, size_t n) {
#if defined(__SSE2__)
  // 16 bytes per step. A signed compare with 0x20 flags the control bytes and, since bytes >= 0x80
  // are negative as signed chars, everything that needs the UTF-8 check too.
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i lt = _mm_set1_epi8('<');
  const __m128i gt = _mm_set1_epi8('>');
  const __m128i amp = _mm_set1_epi8('&');
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i hit = _mm_cmplt_epi8(v, space);
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, quote));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, backslash));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, lt));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, gt));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, amp));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < n && kByteClass[p[i]] == kCopy) ++i;
  return i;
}

// Length of the well-formed UTF-8 sequence at p (Unicode table 3-7: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when the first byte does not start one. Go replaces
// each byte of an ill-formed sequence separately, and so do we.
size_t Utf8SequenceLength(const unsigned char* p, size_t n) {
  const unsigned c = p[0];
  size_t len;
  unsigned lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if (p[i] < 0x80 || p[i] > 0xbf) return 0;
  }
  return len;
}

void AppendUnicodeEscape(unsigned code, std::string* out) {
  char e[6] = {'\\',
               'u',
               kHexDigits[(code >> 12) & 0xf],
               kHexDigits[(code >> 8) & 0xf],
               kHexDigits[(code >> 4) & 0xf],
               kHexDigits[code & 0xf]};
  out->append(e, sizeof e);
}

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

void AppendFloat32(float v, std::string* out) { AppendShortest<float>(v, 1e-6f, 1e21f, out); }

template <typename Int>
void AppendInteger(Int v, std::string* out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

void AppendDigits(int64_t v, int width, std::string* out) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(buf, static_cast<size_t>(width));
}

// Seconds of 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: RFC 3339 has four-digit years.
constexpr int64_t kMinRfc3339Seconds = -62'167'219'200;
constexpr int64_t kMaxRfc3339Seconds = 253'402'300'799;

// RFC 3339 in UTC, fraction trimmed of trailing zeros (Go's RFC3339Nano). False when the year is
// outside 0000..9999.
bool AppendRfc3339(const msgpack::Timestamp& ts, std::string* out) {
  if (ts.seconds < kMinRfc3339Seconds || ts.seconds > kMaxRfc3339Seconds) return false;
  int64_t days = ts.seconds / 86400;
  int64_t sod = ts.seconds % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 (proleptic Gregorian, 400-year eras).
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  out->push_back('"');
  AppendDigits(year, 4, out);
  out->push_back('-');
  AppendDigits(month, 2, out);
  out->push_back('-');
  AppendDigits(day, 2, out);
  out->push_back('T');
  AppendDigits(sod / 3600, 2, out);
  out->push_back(':');
  AppendDigits(sod / 60 % 60, 2, out);
  out->push_back(':');
  AppendDigits(sod % 60, 2, out);
  if (ts.nanos != 0) {
    uint32_t nanos = ts.nanos;
    int width = 9;
    while (nanos % 10 == 0) {
      nanos /= 10;
      --width;
    }
    out->push_back('.');
    AppendDigits(nanos, width, out);
  }
  out->append("Z\"");
  return true;
}

// Appends `s` as a JSON string, then `suffix` unless it is 0.
void AppendQuoted(std::string_view s, char suffix, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = SkipPlain(p, 0, n);
  if (i == n) {
    // Nothing to escape (the usual case): one resize, one copy.
    const size_t old = out->size();
    out->resize(old + n + (suffix ? 3 : 2));
    char* d = out->data() + old;
    *d++ = '"';
    if (n != 0) std::memcpy(d, s.data(), n);
    d += n;
    *d++ = '"';
    if (suffix) *d = suffix;
    return;
  }
  out->push_back('"');
  size_t run = 0;  // start of the bytes not yet copied
  while (i < n) {
    const unsigned c = p[i];
    const uint8_t cls = kByteClass[c];
    if (cls == kCopy) {
      i = SkipPlain(p, i + 1, n);
      continue;
    }
    if (cls == kMultiByte) {
      const size_t len = Utf8SequenceLength(p + i, n - i);
      // U+2028/U+2029 are legal in JSON but end lines in JavaScript source.
      const bool line_sep = len == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] & 0xfe) == 0xa8;
      if (len != 0 && !line_sep) {
        i += len;
        continue;
      }
      out->append(s.data() + run, i - run);
      if (line_sep) {
        out->append(p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
        i += 3;
      } else {
        out->append("\\ufffd");
        ++i;
      }
      run = i;
      continue;
    }
    out->append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        AppendUnicodeEscape(c, out);
        break;
    }
    run = ++i;
  }
  out->append(s.data() + run, n - run);
  out->push_back('"');
  if (suffix) out->push_back(suffix);
}

// One map entry already written to the output: `"key":value` occupies [begin, end).
struct MapEntry {
  std::string_view key;
  size_t begin;
  size_t end;
};

// Scratch space of the transcoder, reused across calls on a thread so that steady-state
// transcoding does not allocate.
struct Scratch {
  std::vector<MapEntry> entries;
  std::string reorder;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Transcodes one msgpack value to canonical JSON in a single pass. Map entries are written in
// wire order while their extents are noted; a map whose keys were not already sorted is then
// rewritten in key order with one copy of its text. Each value is thus decoded exactly once.
class Transcoder {
 public:
  Transcoder(std::string_view msgpack, std::string_view path, std::string* out)
      : reader_(msgpack), out_(out), root_(path), scratch_(ThreadScratch()) {}

  Status Run() {
    const size_t mark = out_->size();
    scratch_.entries.clear();
    bool ok = Value(0);
    if (ok && !reader_.AtEnd()) {
      ok = Fail(std::to_string(reader_.remaining()) + " trailing bytes after the msgpack value", 0);
    }
    // A pathological map must not pin a large buffer to the thread for good.
    if (scratch_.entries.capacity() > 65536) std::vector<MapEntry>().swap(scratch_.entries);
    if (scratch_.reorder.capacity() > (1u << 20)) std::string().swap(scratch_.reorder);
    if (!ok) {
      out_->resize(mark);
      return InvalidArgumentError(std::move(error_));
    }
    return Status::Ok();
  }

 private:
  // One step of the path to a value. Trivial on purpose, so the array of them is left
  // uninitialised (only the first `depth` are ever read); a string_view member would make every
  // call clear all kMaxDepth entries.
  struct Segment {
    const char* key;
    uint32_t key_size;
    uint32_t index;
    bool is_index;
  };

  // `depth` is the number of containers around the value, which is also the number of path
  // segments that name it.
  bool Value(int depth) {
    msgpack::Value v;
    if (!reader_.Next(&v)) return ReaderFail(depth);
    switch (v.type) {
      case msgpack::Type::kNil:
        out_->append("null");
        return true;
      case msgpack::Type::kBool:
        out_->append(v.boolean ? "true" : "false");
        return true;
      case msgpack::Type::kUint:
        AppendInteger(v.uint_value, out_);
        return true;
      case msgpack::Type::kInt:
        AppendInteger(v.int_value, out_);
        return true;
      case msgpack::Type::kFloat32:
      case msgpack::Type::kFloat64:
        if (!std::isfinite(v.float_value)) return Fail("non-finite number", depth);
        if (v.type == msgpack::Type::kFloat32) {
          AppendFloat32(static_cast<float>(v.float_value), out_);
        } else {
          AppendDouble(v.float_value, out_);
        }
        return true;
      case msgpack::Type::kStr:
        AppendString(v.bytes, out_);
        return true;
      case msgpack::Type::kBin:
        out_->push_back('"');
        AppendBase64(v.bytes, out_);
        out_->push_back('"');
        return true;
      case msgpack::Type::kExt:
        return Extension(v, depth);
      case msgpack::Type::kArray:
        return Array(v.count, depth);
      case msgpack::Type::kMap:
        return Map(v.count, depth);
    }
    return Fail("unknown msgpack value", depth);
  }

  bool Extension(const msgpack::Value& v, int depth) {
    if (v.ext_type != msgpack::kTimestampExtType) {
      return Fail("unsupported extension type " + std::to_string(v.ext_type), depth);
    }
    msgpack::Timestamp ts;
    switch (msgpack::DecodeTimestamp(v.bytes, &ts)) {
      case msgpack::ErrorCode::kNone:
        break;
      case msgpack::ErrorCode::kBadTimestampNanos:
        return Fail("invalid timestamp extension (nanoseconds " + std::to_string(ts.nanos) +
                        " out of range)",
                    depth);
      default:
        return Fail("invalid timestamp extension (" + std::to_string(v.bytes.size()) + " bytes)",
                    depth);
    }
    if (!AppendRfc3339(ts, out_)) return Fail("timestamp year outside of range [0,9999]", depth);
    return true;
  }

  bool Array(uint32_t count, int depth) {
    if (depth >= msgpack::kMaxDepth) return Fail(TooDeep(), depth);
    out_->push_back('[');
    for (uint32_t i = 0; i < count; ++i) {
      if (i != 0) out_->push_back(',');
      segments_[depth] = Segment{nullptr, 0, i, true};
      if (!Value(depth + 1)) return false;
    }
    out_->push_back(']');
    return true;
  }

  bool Map(uint32_t count, int depth) {
    if (depth >= msgpack::kMaxDepth) return Fail(TooDeep(), depth);
    // Entries of nested maps are stacked above ours in the shared vector, so ours are
    // addressed by index: the vector may grow while a value is transcoded.
    std::vector<MapEntry>& entries = scratch_.entries;
    const size_t base = entries.size();
    out_->push_back('{');
    bool in_order = true;
    for (uint32_t i = 0; i < count; ++i) {
      msgpack::Value key;
      if (!reader_.Next(&key)) return ReaderFail(depth);
      if (key.type != msgpack::Type::kStr) return Fail("map key must be a string", depth);
      if (i != 0) {
        out_->push_back(',');
        // Equal keys also take the slow path, which keeps the last of them.
        if (!(entries.back().key < key.bytes)) in_order = false;
      }
      const size_t begin = out_->size();
      AppendQuoted(key.bytes, ':', out_);
      segments_[depth] = KeySegment(key.bytes);
      if (!Value(depth + 1)) return false;
      entries.push_back(MapEntry{key.bytes, begin, out_->size()});
    }
    if (!in_order) Reorder(base);
    out_->push_back('}');
    entries.resize(base);
    return true;
  }

  // Rewrites the entries [base, end) of the innermost map in key order (byte-wise, like
  // memcmp); a repeated key keeps its last value, as in a Go map.
  void Reorder(size_t base) {
    std::vector<MapEntry>& entries = scratch_.entries;
    const size_t text_begin = entries[base].begin;
    std::string& text = scratch_.reorder;
    text.assign(*out_, text_begin, std::string::npos);
    out_->resize(text_begin);
    auto first = entries.begin() + static_cast<std::ptrdiff_t>(base);
    // Stable, so that equal keys stay in wire order and the last one wins below. Insertion
    // sort for the usual handful of keys: stable and free of allocation.
    auto less = [](const MapEntry& a, const MapEntry& b) { return a.key < b.key; };
    if (entries.end() - first > 32) {
      std::stable_sort(first, entries.end(), less);
    } else {
      for (auto it = first; it != entries.end(); ++it) {
        const MapEntry e = *it;
        auto hole = it;
        while (hole != first && less(e, *(hole - 1))) {
          *hole = *(hole - 1);
          --hole;
        }
        *hole = e;
      }
    }
    bool first_out = true;
    for (auto it = first; it != entries.end(); ++it) {
      if (it + 1 != entries.end() && (it + 1)->key == it->key) continue;
      if (!first_out) out_->push_back(',');
      first_out = false;
      out_->append(text, it->begin - text_begin, it->end - it->begin);
    }
  }

  static Segment KeySegment(std::string_view key) {
    return Segment{key.data(), static_cast<uint32_t>(key.size()), 0, false};
  }

  static std::string TooDeep() {
    return "msgpack value nested deeper than " + std::to_string(msgpack::kMaxDepth) + " levels";
  }

  bool ReaderFail(int depth) { return Fail(reader_.ErrorMessage(), depth); }

  bool Fail(std::string what, int depth) {
    error_ = std::move(what);
    error_ += " at ";
    const size_t path_start = error_.size();
    error_ += root_;
    for (int i = 0; i < depth; ++i) {
      const Segment& s = segments_[i];
      if (s.is_index) {
        error_ += '[';
        error_ += std::to_string(s.index);
        error_ += ']';
      } else {
        if (error_.size() != path_start) error_ += '.';
        error_.append(s.key, s.key_size);
      }
    }
    if (error_.size() == path_start) error_ += "(top level)";
    return false;
  }

  msgpack::Reader reader_;
  std::string* out_;
  std::string_view root_;
  Scratch& scratch_;
  std::string error_;
  Segment segments_[msgpack::kMaxDepth];
};

// Walks a msgpack value the way Transcoder does, without writing anything, adding up the longest
// text each value could become. Fails wherever Transcoder might fail; the caller then transcodes
// for real to learn whether and why. Keep the two in step.
class JsonSizeBound {
 public:
  explicit JsonSizeBound(std::string_view msgpack) : reader_(msgpack) {}

  std::optional<size_t> Run() {
    if (!Value(0) || !reader_.AtEnd()) return std::nullopt;
    return size_;
  }

 private:
  // Every byte of a string escapes to at most 6 characters ("\u00XX", "\ufffd"; a 3-byte
  // U+2028 becomes 6), plus the quotes.
  static size_t QuotedBound(size_t bytes) { return 2 + 6 * bytes; }

  bool Value(int depth) {
    msgpack::Value v;
    if (!reader_.Next(&v)) return false;
    switch (v.type) {
      case msgpack::Type::kNil:
      case msgpack::Type::kBool:
        size_ += 5;
        return true;
      case msgpack::Type::kUint:
      case msgpack::Type::kInt:
        size_ += 20;  // "-9223372036854775808", "18446744073709551615"
        return true;
      case msgpack::Type::kFloat32:
      case msgpack::Type::kFloat64:
        if (!std::isfinite(v.float_value)) return false;
        size_ += 32;  // at most 17 digits, a sign, a point, 5 leading zeros or an exponent
        return true;
      case msgpack::Type::kStr:
        size_ += QuotedBound(v.bytes.size());
        return true;
      case msgpack::Type::kBin:
        size_ += 2 + (v.bytes.size() + 2) / 3 * 4;
        return true;
      case msgpack::Type::kExt: {
        if (v.ext_type != msgpack::kTimestampExtType) return false;
        msgpack::Timestamp ts;
        if (msgpack::DecodeTimestamp(v.bytes, &ts) != msgpack::ErrorCode::kNone) return false;
        if (ts.seconds < kMinRfc3339Seconds || ts.seconds > kMaxRfc3339Seconds) return false;
        size_ += 32;  // "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" with quotes
        return true;
      }
      case msgpack::Type::kArray:
        if (depth >= msgpack::kMaxDepth) return false;
        size_ += 2 + v.count;  // brackets and (more than enough) commas
        for (uint32_t i = 0; i < v.count; ++i) {
          if (!Value(depth + 1)) return false;
        }
        return true;
      case msgpack::Type::kMap:
        if (depth >= msgpack::kMaxDepth) return false;
        size_ += 2 + v.count;  // braces and commas; repeated keys only shorten the text
        for (uint32_t i = 0; i < v.count; ++i) {
          msgpack::Value key;
          if (!reader_.Next(&key) || key.type != msgpack::Type::kStr) return false;
          size_ += QuotedBound(key.bytes.size()) + 1;
          if (!Value(depth + 1)) return false;
        }
        return true;
    }
    return false;
  }

  msgpack::Reader reader_;
  size_t size_ = 0;
};

}  // namespace

void AppendString(std::string_view s, std::string* out) { AppendQuoted(s, 0, out); }

void AppendDouble(double v, std::string* out) {
  // Integral values well inside the plain-notation range print as integers; this skips the
  // shortest-digits search for the common "5.0" case. -0 goes the general way ("-0").
  if (v != 0 && std::fabs(v) < 1e15 && std::trunc(v) == v) {
    AppendInteger(static_cast<int64_t>(v), out);
    return;
  }
  AppendShortest<double>(v, 1e-6, 1e21, out);
}

Status AppendMsgpackAsJson(std::string_view msgpack, std::string_view path, std::string* out) {
  return Transcoder(msgpack, path, out).Run();
}

std::optional<size_t> MsgpackAsJsonSizeBound(std::string_view msgpack) {
  return JsonSizeBound(msgpack).Run();
}

void AppendBase64(std::string_view bytes, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  const size_t start = out->size();
  out->resize(start + (n + 2) / 3 * 4);
  char* o = out->data() + start;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t w = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    *o++ = kAlphabet[w >> 18];
    *o++ = kAlphabet[(w >> 12) & 0x3f];
    *o++ = kAlphabet[(w >> 6) & 0x3f];
    *o++ = kAlphabet[w & 0x3f];
  }
  if (i < n) {
    const bool two = i + 1 < n;
    const uint32_t w = (uint32_t{p[i]} << 16) | (two ? uint32_t{p[i + 1]} << 8 : 0);
    *o++ = kAlphabet[w >> 18];
    *o++ = kAlphabet[(w >> 12) & 0x3f];
    *o++ = two ? kAlphabet[(w >> 6) & 0x3f] : '=';
    *o++ = '=';
  }
}

ObjectBuilder& ObjectBuilder::AddRaw(std::string_view key, std::string value_json) {
  // Kept sorted as fields arrive so AppendTo is a plain walk; objects have a few dozen keys at
  // most. Adding a key twice replaces its value.
  auto it = std::lower_bound(fields_.begin(), fields_.end(), key,
                             [](const auto& f, std::string_view k) { return f.first < k; });
  if (it != fields_.end() && it->first == key) {
    it->second = std::move(value_json);
  } else {
    fields_.emplace(it, std::string(key), std::move(value_json));
  }
  return *this;
}

ObjectBuilder& ObjectBuilder::AddString(std::string_view key, std::string_view value) {
  std::string json;
  json.reserve(value.size() + 2);
  AppendString(value, &json);
  return AddRaw(key, std::move(json));
}

ObjectBuilder& ObjectBuilder::AddInt(std::string_view key, int64_t value) {
  std::string json;
  AppendInteger(value, &json);
  return AddRaw(key, std::move(json));
}

ObjectBuilder& ObjectBuilder::AddUint(std::string_view key, uint64_t value) {
  std::string json;
  AppendInteger(value, &json);
  return AddRaw(key, std::move(json));
}

ObjectBuilder& ObjectBuilder::AddBool(std::string_view key, bool value) {
  return AddRaw(key, value ? "true" : "false");
}

void ObjectBuilder::AppendTo(std::string* out) const {
  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : fields_) {
    if (!first) out->push_back(',');
    first = false;
    AppendQuoted(key, ':', out);
    out->append(value);
  }
  out->push_back('}');
}

std::string ObjectBuilder::Build() const {
  std::string out;
  AppendTo(&out);
  return out;
}

}  // namespace quarry::json
