// The fast paths of canonical JSON (docs/benchmarks.md, hot spots): the 16-byte scan for strings
// that need no escaping, and the size bound that lets a policy admit an event without encoding it.
// Both must agree with the plain implementations on every input, so these tests compare them.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "msgpack_builder.h"
#include "quarry/json/canonical_json.h"

namespace quarry::json {
namespace {

namespace mp = quarry::testing::mp;

// Byte-at-a-time reference of storage-and-policies §4.8 escaping, for strings made of ASCII and
// the few multi-byte sequences used below.
std::string Reference(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (s.substr(i, 3) == "\xe2\x80\xa8") {
      out += "\\u2028";
      i += 2;
    } else if (s.substr(i, 2) == "\xc3\xa9") {
      out += "\xc3\xa9";
      ++i;
    } else if (c >= 0x80) {
      out += "\\ufffd";  // the lone bytes used here are all invalid UTF-8
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Quoted(std::string_view s) {
  std::string out;
  AppendString(s, &out);
  return out;
}

// Every special byte or sequence at every position of strings longer than one 16-byte step, so
// that it falls in the vector loop, at a step boundary, straddling one, and in the scalar tail.
TEST(JsonFastPaths, LongStringsEscapeLikeTheByteAtATimeRules) {
  const std::vector<std::string> specials = {"\"",   "\\",           "<",       ">",    "&",
                                             "\n",   "\x01",         "\x1f",    "\x7f", "\xff",
                                             "\x80", "\xe2\x80\xa8", "\xc3\xa9"};
  for (size_t len : {15u, 16u, 17u, 31u, 32u, 33u, 47u, 64u}) {
    for (const std::string& sp : specials) {
      for (size_t pos = 0; pos + sp.size() <= len; ++pos) {
        std::string s(len, 'a');
        s.replace(pos, sp.size(), sp);
        ASSERT_EQ(Quoted(s), Reference(s)) << "len " << len << " pos " << pos;
      }
    }
    const std::string plain(len, 'z');
    EXPECT_EQ(Quoted(plain), "\"" + plain + "\"");
  }
  // Two specials far apart, with a plain stretch between them longer than a step.
  const std::string two = "<" + std::string(40, 'b') + "&" + std::string(20, 'c');
  EXPECT_EQ(Quoted(two), Reference(two));
}

std::string Json(const std::string& msgpack) {
  std::string out;
  EXPECT_TRUE(AppendMsgpackAsJson(msgpack, "payload", &out).ok());
  return out;
}

TEST(JsonFastPaths, SizeBoundIsNeverBelowTheEncodedLength) {
  const std::string worst_string =
      std::string(50, '\x01') + std::string(30, '\xff') + "\xe2\x80\xa8";
  const std::vector<std::string> values = {
      mp::Nil(),
      mp::Bool(false),
      mp::Int(std::numeric_limits<int64_t>::min()),
      mp::Uint(std::numeric_limits<uint64_t>::max()),
      mp::F64(-2.2250738585072014e-308),
      mp::F64(0.0000012345678901234567),
      mp::F64(123456789012345680000.0),
      mp::F32(-1.17549435e-38f),
      mp::Str(""),
      mp::Str(worst_string),
      mp::Bin(std::string(100, '\0')),
      mp::Timestamp96(253402300799, 999999999),
      mp::Timestamp96(-62167219200, 1),
      mp::Array({}),
      mp::Map({}),
      mp::Map({{"", mp::Str("")}, {"", mp::Str("")}}),  // a repeated key
      mp::Map({{"z", mp::Array({mp::Nil(), mp::Bool(true), mp::Str("<&>")})},
               {"\x01<\xe2\x80\xa8", mp::Map({{"b", mp::F64(1.5)}, {"a", mp::Int(-1)}})}}),
  };
  for (const std::string& v : values) {
    const std::optional<size_t> bound = MsgpackAsJsonSizeBound(v);
    ASSERT_TRUE(bound.has_value());
    EXPECT_GE(*bound, Json(v).size()) << Json(v);
  }
  // The same, nested as deep as the transcoder allows.
  std::string deep;
  for (int i = 0; i < 256; ++i) deep += mp::ArrayHeader(1);
  deep += mp::Str(worst_string);
  ASSERT_TRUE(MsgpackAsJsonSizeBound(deep).has_value());
  EXPECT_GE(*MsgpackAsJsonSizeBound(deep), Json(deep).size());
}

// Wherever the transcoder fails, the bound declines, so the caller runs the transcoder and reports
// its error.
TEST(JsonFastPaths, SizeBoundDeclinesWhereTranscodingFails) {
  std::string too_deep;
  for (int i = 0; i < 257; ++i) too_deep += mp::ArrayHeader(1);
  too_deep += mp::Nil();
  const std::vector<std::string> failing = {
      mp::Map({{"price", mp::F64(std::nan(""))}}),
      mp::Array({mp::F32(std::numeric_limits<float>::infinity())}),
      mp::MapHeader(1) + mp::Uint(1) + mp::Uint(2),
      mp::Map({{"x", mp::Ext(5, "a")}}),
      mp::Map({{"t", mp::Timestamp96(253402300800, 0)}}),
      mp::Map({{"t", mp::Timestamp96(0, 1000000000)}}),
      mp::Map({{"t", mp::Ext(-1, "abcdef")}}),
      mp::Map({{"s", mp::Str("abc").substr(0, 2)}}),
      mp::Map({{"ok", mp::Map({{std::string("k\xff"), mp::Nil()}})}}),
      mp::Uint(1) + "\x01\x02",
      "",
      too_deep,
  };
  for (const std::string& v : failing) {
    std::string out;
    ASSERT_FALSE(AppendMsgpackAsJson(v, "payload", &out).ok());
    EXPECT_FALSE(MsgpackAsJsonSizeBound(v).has_value());
  }
}

}  // namespace
}  // namespace quarry::json
