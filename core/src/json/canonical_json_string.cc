// JSON string literals with Go-compatible escaping (§4.8): <, >, & as \u003c..., U+2028/9
// escaped, invalid UTF-8 replaced byte by byte with \ufffd.
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json/canonical_json_internal.h"
#include "quarry/json/canonical_json.h"

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

void AppendUnicodeEscape(unsigned code, std::string* out) {
  char e[6] = {'\\',
               'u',
               kHexDigits[(code >> 12) & 0xf],
               kHexDigits[(code >> 8) & 0xf],
               kHexDigits[(code >> 4) & 0xf],
               kHexDigits[code & 0xf]};
  out->append(e, sizeof e);
}

}  // namespace

namespace internal {

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
      const size_t len = internal::Utf8SequenceLength(p + i, n - i);
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

}  // namespace internal

void AppendString(std::string_view s, std::string* out) { internal::AppendQuoted(s, 0, out); }

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const size_t len = internal::Utf8SequenceLength(p + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void AppendPrintable(std::string_view s, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    const unsigned c = p[i];
    size_t len = 1;
    if (c >= 0x80) len = internal::Utf8SequenceLength(p + i, s.size() - i);
    if (len == 0 || c < 0x20 || c == 0x7f) {
      out->append({'\\', 'x', kHexDigits[c >> 4], kHexDigits[c & 0xf]});
      ++i;
      continue;
    }
    out->append(s.data() + i, len);
    i += len;
  }
}

std::string Printable(std::string_view s) {
  std::string out;
  AppendPrintable(s, &out);
  return out;
}

}  // namespace quarry::json
