#include "quarry/json/canonical_json.h"

#include <gtest/gtest.h>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "msgpack_builder.h"

namespace quarry::json {
namespace {

using namespace quarry::testing;  // NOLINT(build/namespaces)

std::string Str(std::string_view s) {
  std::string out;
  AppendString(s, &out);
  return out;
}

std::string Dbl(double d) {
  std::string out;
  AppendDouble(d, &out);
  return out;
}

std::string Json(const std::string& msgpack, std::string_view path = "payload") {
  std::string out;
  Status s = AppendMsgpackAsJson(msgpack, path, &out);
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

std::string JsonError(const std::string& msgpack, std::string_view path = "payload") {
  std::string out = "prefix";
  Status s = AppendMsgpackAsJson(msgpack, path, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(out, "prefix") << "output must be rolled back on error";
  return s.message();
}

double FromBits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// --- strings ---------------------------------------------------------------------------------

TEST(CanonicalJsonString, EscapesLikeGoEncodingJson) {
  EXPECT_EQ(Str(""), R"("")");
  EXPECT_EQ(Str("plain text 123"), R"("plain text 123")");
  EXPECT_EQ(Str("a<b>&c"), R"("a\u003cb\u003e\u0026c")");
  EXPECT_EQ(Str("q\"b\\s/"), R"("q\"b\\s/")");
  EXPECT_EQ(Str("\n\r\t"), R"("\n\r\t")");
  // Other control bytes use \u00XX with lowercase hex (the spec's rule, also for \b and \f).
  EXPECT_EQ(Str(std::string("\x00\x01\x08\x0c\x1b\x1f", 6)),
            R"("\u0000\u0001\u0008\u000c\u001b\u001f")");
  EXPECT_EQ(Str("\x7f"), "\"\x7f\"");  // DEL is not escaped
}

TEST(CanonicalJsonString, EscapesLineSeparatorsAndKeepsOtherUtf8) {
  EXPECT_EQ(Str("a\u2028b\u2029c"), R"("a\u2028b\u2029c")");
  EXPECT_EQ(Str("é 😀 \u2027 \u202a \ufffd"), "\"é 😀 \u2027 \u202a \ufffd\"");
}

TEST(CanonicalJsonString, ReplacesEachInvalidByte) {
  // Matches Go: every byte of an ill-formed sequence becomes one \ufffd.
  EXPECT_EQ(Str("\xff"), R"("\ufffd")");
  EXPECT_EQ(Str("a\xed\xa0\x80z"), R"("a\ufffd\ufffd\ufffdz")");  // surrogate
  EXPECT_EQ(Str("\xe2\x82"), R"("\ufffd\ufffd")");                // truncated at end
  EXPECT_EQ(Str("\xe2\x82"
                "A"),
            R"("\ufffd\ufffdA")");                                      // truncated mid-string
  EXPECT_EQ(Str("\xc0\x80"), R"("\ufffd\ufffd")");                      // overlong NUL
  EXPECT_EQ(Str("\xe0\x80\xaf"), R"("\ufffd\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(Str("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  EXPECT_EQ(Str("\xf0\x9f\x98"), R"("\ufffd\ufffd\ufffd")");
  EXPECT_EQ(Str("\x80"), R"("\ufffd")");
  EXPECT_EQ(Str("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF is fine
  EXPECT_EQ(Str("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"");          // U+D7FF is fine
}

TEST(CanonicalJsonString, MatchesGoOnAMixedString) {
  // Expected text produced by Go's json.Marshal, with \b and \f spelled as the spec requires.
  const std::string in =
      "a<b>&c\"\\\n\r\t\x01\x1f\x7f \u2028 \u2029 é 😀 \xff \xed\xa0\x80 \xe2\x82 \xc0\x80 "
      "\xf4\x90\x80\x80 \ufffd \b \f";
  const std::string want =
      "\"a\\u003cb\\u003e\\u0026c\\\"\\\\\\n\\r\\t\\u0001\\u001f\x7f \\u2028 \\u2029 é 😀 \\ufffd "
      "\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd \ufffd "
      "\\u0008 \\u000c\"";
  EXPECT_EQ(Str(in), want);
}

// --- numbers ---------------------------------------------------------------------------------

struct FloatCase {
  uint64_t bits;
  const char* want;
};

// Expected texts from Go's encoding/json (json.Marshal(float64)).
constexpr FloatCase kFloatCases[] = {
    {0x0000000000000000, "0"},
    {0x8000000000000000, "-0"},
    {0x3ff0000000000000, "1"},
    {0xbff0000000000000, "-1"},
    {0x4014000000000000, "5"},
    {0x4023000000000000, "9.5"},
    {0x4058ff5c28f5c28f, "99.99"},
    {0x3fb999999999999a, "0.1"},
    {0x3fd3333333333334, "0.30000000000000004"},
    {0x3fd3333333333333, "0.3"},
    {0x3fd5555555555555, "0.3333333333333333"},
    {0x4059000000000000, "100"},
    {0x412e848000000000, "1000000"},
    {0x4415af1d78b58c40, "100000000000000000000"},
    {0x444b1ae4d6e2ef50, "1e+21"},
    {0x4454542ba12a337c, "1.5e+21"},
    {0x441ac53a7e04bcda, "123456789012345680000"},
    {0x444b1ae4d6e2ef4f, "999999999999999900000"},
    {0x3eb0c6f7a0b5ed8d, "0.000001"},
    {0x3e7ad7f29abcaf48, "1e-7"},
    {0x3e8421f5f40d8376, "1.5e-7"},
    {0x3eb4b3fd5942cd96, "0.000001234"},
    {0x3eb0c6f6873c557a, "9.99999e-7"},
    {0x0000000000000001, "5e-324"},
    {0x7fefffffffffffff, "1.7976931348623157e+308"},
    {0xffefffffffffffff, "-1.7976931348623157e+308"},
    {0x0010000000000000, "2.2250738585072014e-308"},
    {0x54b249ad2594c37d, "1e+100"},
    {0x4340000000000000, "9007199254740992"},
    {0x430c6bf526340000, "1000000000000000"},
    {0x4341c37937e08000, "10000000000000000"},
    {0x4376345785d8a000, "100000000000000000"},
    {0x405edd2f1a9fbe77, "123.456"},
    {0xbeb92a737110e454, "-0.0000015"},
    {0x4011666666666666, "4.35"},
    {0x3f201f31f46ed246, "0.000123"},
    {0x3ddb7cdfd9d7bdbb, "1e-10"},
    {0x41678c29dccccccd, "12345678.9"},
    {0x3efa36e2eb1c432d, "0.000025"},
    {0x7e37e43c8800759c, "1e+300"},
    {0x81a56e1fc2f8f359, "-1e-300"},
    {0x400921fb54442d18, "3.141592653589793"},
    {0x43f0000000000000, "18446744073709552000"},
};

TEST(CanonicalJsonNumber, DoublesMatchGo) {
  for (const FloatCase& c : kFloatCases) {
    EXPECT_EQ(Dbl(FromBits(c.bits)), c.want) << std::hex << c.bits;
    // Same through the transcoder.
    EXPECT_EQ(Json(mp::F64(FromBits(c.bits))), c.want) << std::hex << c.bits;
  }
}

TEST(CanonicalJsonNumber, DoublesRoundTrip) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    const double d = FromBits(rng());
    if (!std::isfinite(d)) continue;
    const std::string s = Dbl(d);
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), d) << s;
    const double a = std::fabs(d);
    const bool exponent = a != 0 && (a < 1e-6 || a >= 1e21);
    EXPECT_EQ(s.find('e') != std::string::npos, exponent) << s;
    if (exponent) {
      const size_t e = s.find('e');
      ASSERT_TRUE(s[e + 1] == '+' || s[e + 1] == '-') << s;
      EXPECT_NE(s[e + 2], '0') << s;
    }
  }
}

TEST(CanonicalJsonNumber, Float32UsesShortestSinglePrecision) {
  struct F32Case {
    uint32_t bits;
    const char* want;
  };
  // Go's json.Marshal(float32(...)).
  constexpr F32Case cases[] = {
      {0x3dcccccd, "0.1"},
      {0x3fc00000, "1.5"},
      {0x4b800000, "16777216"},
      {0x33d6bf95, "1e-7"},
      {0x7f7fffff, "3.4028235e+38"},
      {0x6258d727, "1e+21"},
      {0x60ad78ec, "100000000000000000000"},
      {0x358637bd, "0.000001"},
      {0x3e99999a, "0.3"},
  };
  for (const F32Case& c : cases) {
    float f;
    std::memcpy(&f, &c.bits, sizeof f);
    EXPECT_EQ(Json(mp::F32(f)), c.want) << std::hex << c.bits;
  }
}

TEST(CanonicalJsonNumber, IntegersOfEveryWidth) {
  EXPECT_EQ(Json(mp::Uint(0)), "0");
  EXPECT_EQ(Json(mp::Uint(127)), "127");
  EXPECT_EQ(Json(mp::U8(200)), "200");
  EXPECT_EQ(Json(mp::U16(65535)), "65535");
  EXPECT_EQ(Json(mp::U32(4294967295u)), "4294967295");
  EXPECT_EQ(Json(mp::U64(9223372036854775807ull)), "9223372036854775807");
  EXPECT_EQ(Json(mp::U64(9223372036854775808ull)), "9223372036854775808");
  EXPECT_EQ(Json(mp::U64(18446744073709551615ull)), "18446744073709551615");
  EXPECT_EQ(Json(mp::Int(-1)), "-1");
  EXPECT_EQ(Json(mp::Int(-32)), "-32");
  EXPECT_EQ(Json(mp::I8(-128)), "-128");
  EXPECT_EQ(Json(mp::I8(5)), "5");
  EXPECT_EQ(Json(mp::I16(-32768)), "-32768");
  EXPECT_EQ(Json(mp::I32(-2147483648ll)), "-2147483648");
  EXPECT_EQ(Json(mp::I64(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(Json(mp::I64(42)), "42");
}

TEST(CanonicalJsonNumber, NonFiniteIsAnErrorNamingThePath) {
  const std::string nan = mp::F64(std::numeric_limits<double>::quiet_NaN());
  const std::string inf = mp::F64(std::numeric_limits<double>::infinity());
  const std::string ninf = mp::F32(-std::numeric_limits<float>::infinity());
  EXPECT_EQ(JsonError(mp::Map({{"data", mp::Map({{"sku", mp::Str("A1")}, {"price", nan}})}})),
            "non-finite number at payload.data.price");
  EXPECT_EQ(JsonError(mp::Map({{"tags", mp::Array({mp::Str("x"), inf})}})),
            "non-finite number at payload.tags[1]");
  EXPECT_EQ(JsonError(mp::Array({mp::Array({ninf})}), "payload"),
            "non-finite number at payload[0][0]");
  EXPECT_EQ(JsonError(nan, ""), "non-finite number at (top level)");
  EXPECT_EQ(JsonError(mp::Map({{"a", nan}}), ""), "non-finite number at a");
}

// --- structure -------------------------------------------------------------------------------

TEST(CanonicalJsonValue, ScalarsAndEmptyContainers) {
  EXPECT_EQ(Json(mp::Nil()), "null");
  EXPECT_EQ(Json(mp::Bool(true)), "true");
  EXPECT_EQ(Json(mp::Bool(false)), "false");
  EXPECT_EQ(Json(mp::Str("x")), R"("x")");
  EXPECT_EQ(Json(mp::Map({})), "{}");
  EXPECT_EQ(Json(mp::Array({})), "[]");
  EXPECT_EQ(Json(mp::Array({mp::Nil(), mp::Array({}), mp::Map({})})), "[null,[],{}]");
}

TEST(CanonicalJsonValue, AllStrBinAndContainerWidths) {
  EXPECT_EQ(Json(mp::Str8("ab")), R"("ab")");
  EXPECT_EQ(Json(mp::Str16("ab")), R"("ab")");
  EXPECT_EQ(Json(mp::Str32("ab")), R"("ab")");
  EXPECT_EQ(Json(mp::Bin("abcd")), R"("YWJjZA==")");
  EXPECT_EQ(Json(mp::Bin16("ef")), R"("ZWY=")");
  EXPECT_EQ(Json(mp::Bin32("")), R"("")");
  EXPECT_EQ(Json(mp::Map16Header(2) + mp::Str8("b") + mp::Uint(1) + mp::Str32("a") + mp::Uint(2)),
            R"({"a":2,"b":1})");
  EXPECT_EQ(Json(mp::Map32Header(1) + mp::Str16("k") + mp::Array32Header(2) + mp::Uint(1) +
                 mp::Array16Header(0)),
            R"({"k":[1,[]]})");
}

TEST(CanonicalJsonValue, SortsKeysByteWiseAtEveryLevel) {
  const std::string in = mp::Map({
      {"zeta", mp::Uint(1)},
      {"Zeta", mp::Uint(2)},
      {"ab", mp::Map({{"y", mp::Uint(1)},
                      {"x", mp::Array({mp::Map({{"d", mp::Nil()}, {"c", mp::Nil()}})})}})},
      {"a", mp::Uint(3)},
      {"é", mp::Uint(4)},
      {"_", mp::Uint(5)},
      {"", mp::Uint(6)},
  });
  EXPECT_EQ(Json(in),
            R"({"":6,"Zeta":2,"_":5,"a":3,"ab":{"x":[{"c":null,"d":null}],"y":1},"zeta":1,"é":4})");
}

TEST(CanonicalJsonValue, SortsLargeMaps) {
  // More keys than the insertion-sort threshold, in reverse order.
  std::string in = mp::MapHeader(100);
  for (int i = 99; i >= 0; --i) {
    char key[8];
    std::snprintf(key, sizeof key, "k%03d", i);
    in += mp::Str(key) + mp::Uint(static_cast<uint64_t>(i));
  }
  const std::string out = Json(in);
  std::string want = "{";
  for (int i = 0; i < 100; ++i) {
    char kv[32];
    std::snprintf(kv, sizeof kv, "%s\"k%03d\":%d", i ? "," : "", i, i);
    want += kv;
  }
  want += "}";
  EXPECT_EQ(out, want);
}

TEST(CanonicalJsonValue, RepeatedKeyKeepsLastValue) {
  EXPECT_EQ(Json(mp::Map({{"a", mp::Uint(1)}, {"b", mp::Uint(2)}, {"a", mp::Uint(3)}})),
            R"({"a":3,"b":2})");
  EXPECT_EQ(Json(mp::Map({{"a", mp::Uint(1)}, {"a", mp::Uint(2)}})), R"({"a":2})");
  EXPECT_EQ(
      Json(mp::Map({{"b", mp::Map({{"y", mp::Uint(1)}, {"x", mp::Uint(2)}, {"y", mp::Uint(3)}})},
                    {"a", mp::Nil()},
                    {"b", mp::Array({mp::Map({{"d", mp::Uint(4)}, {"c", mp::Uint(5)}})})}})),
      R"({"a":null,"b":[{"c":5,"d":4}]})");
}

// §4.8 turns invalid UTF-8 into \ufffd. For a key that would merge distinct keys ("a\xff" and
// "a\xfe" both become "a\ufffd") and a reader would keep one value: such keys are refused, with
// the path shown printable (\xNN) so the error stays one readable line.
TEST(CanonicalJsonValue, InvalidUtf8KeysAreRefusedNamingThePath) {
  EXPECT_EQ(JsonError(mp::Map({{"data", mp::Map({{std::string("a\xff"), mp::Uint(1)},
                                                 {std::string("a\xfe"), mp::Uint(2)}})}})),
            "map key is not valid UTF-8 at payload.data.a\\xff");
  // Overlong forms and lone surrogates are invalid too; the rest of the key stays readable.
  EXPECT_EQ(
      JsonError(mp::Map({{"list", mp::Array({mp::Map({{std::string("\xc0\xafz"), mp::Nil()}})})}})),
      "map key is not valid UTF-8 at payload.list[0].\\xc0\\xafz");
  EXPECT_EQ(JsonError(mp::Map({{std::string("\xed\xa0\x80"), mp::Nil()}}), ""),
            "map key is not valid UTF-8 at \\xed\\xa0\\x80");
  // Valid multi-byte keys are kept; invalid bytes in values are still replaced (§4.8).
  EXPECT_EQ(Json(mp::Map({{"caf\xc3\xa9", mp::Str("x\xff")}})), "{\"caf\xc3\xa9\":\"x\\ufffd\"}");
}

// A path segment with a control byte (here a newline) must not break the one-line error.
TEST(CanonicalJsonValue, ErrorPathsShowControlBytesEscaped) {
  const std::string nan = mp::F64(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(JsonError(mp::Map({{"a\nb", nan}})), "non-finite number at payload.a\\x0ab");
}

TEST(CanonicalJsonString, IsValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("ab\xc3"));            // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(CanonicalJsonValue, KeysAreEscaped) {
  EXPECT_EQ(Json(mp::Map({{"<k>", mp::Str("v&")}})), R"({"\u003ck\u003e":"v\u0026"})");
}

TEST(CanonicalJsonValue, Timestamps) {
  // Expected texts from Go's time.Time JSON encoding (RFC 3339 with trimmed nanoseconds).
  EXPECT_EQ(Json(mp::Timestamp32(0)), R"("1970-01-01T00:00:00Z")");
  EXPECT_EQ(Json(mp::Timestamp64(1774170900, 120000000)), R"("2026-03-22T09:15:00.12Z")");
  EXPECT_EQ(Json(mp::Timestamp96(-1, 999999999)), R"("1969-12-31T23:59:59.999999999Z")");
  EXPECT_EQ(Json(mp::Timestamp96(253402300799, 1)), R"("9999-12-31T23:59:59.000000001Z")");
  EXPECT_EQ(Json(mp::Timestamp96(-62167219200, 0)), R"("0000-01-01T00:00:00Z")");
  EXPECT_EQ(Json(mp::Timestamp32(951782400)), R"("2000-02-29T00:00:00Z")");
  EXPECT_EQ(Json(mp::Timestamp64(4102444800, 500)), R"("2100-01-01T00:00:00.0000005Z")");
  EXPECT_EQ(Json(mp::Timestamp96(1774170900, 120000000)), R"("2026-03-22T09:15:00.12Z")");
  // A timestamp64 with zero nanoseconds and the largest 34-bit seconds value.
  EXPECT_EQ(Json(mp::Timestamp64((uint64_t{1} << 34) - 1, 0)), R"("2514-05-30T01:53:03Z")");
  // Any extension body size 12 is timestamp96, also behind an ext8 header.
  EXPECT_EQ(Json(mp::Map({{"at", mp::Timestamp96(0, 100)}})),
            R"({"at":"1970-01-01T00:00:00.0000001Z"})");
}

TEST(CanonicalJsonValue, TimestampErrors) {
  EXPECT_EQ(JsonError(mp::Map({{"t", mp::Timestamp96(253402300800, 0)}})),
            "timestamp year outside of range [0,9999] at payload.t");
  EXPECT_EQ(JsonError(mp::Map({{"t", mp::Timestamp96(-62167219201, 0)}})),
            "timestamp year outside of range [0,9999] at payload.t");
  EXPECT_EQ(JsonError(mp::Map({{"t", mp::Timestamp96(0, 1000000000)}})),
            "invalid timestamp extension (nanoseconds 1000000000 out of range) at payload.t");
  EXPECT_EQ(JsonError(mp::Map({{"t", mp::Ext(-1, "abcdef")}})),
            "invalid timestamp extension (6 bytes) at payload.t");
}

TEST(CanonicalJsonValue, StructuralErrors) {
  EXPECT_EQ(JsonError(mp::Map({{"x", mp::Ext(5, "a")}})),
            "unsupported extension type 5 at payload.x");
  EXPECT_EQ(JsonError(mp::Array({mp::Ext(-2, "abcd")})),
            "unsupported extension type -2 at payload[0]");
  EXPECT_EQ(JsonError(mp::Map({{"m", mp::MapHeader(1) + mp::Uint(1) + mp::Uint(2)}})),
            "map key must be a string at payload.m");
  EXPECT_EQ(JsonError(mp::MapHeader(1) + mp::Bin("k") + mp::Uint(2)),
            "map key must be a string at payload");
  EXPECT_EQ(JsonError(mp::Map({{"s", mp::Str("abc").substr(0, 2)}})),
            "truncated msgpack value at payload.s");
  EXPECT_EQ(JsonError(mp::MapHeader(2) + mp::Str("a") + mp::Uint(1)),
            "truncated msgpack value at payload");
  EXPECT_EQ(JsonError(""), "truncated msgpack value at payload");
  EXPECT_EQ(JsonError(mp::Uint(1) + "\x01\x02"),
            "2 trailing bytes after the msgpack value at payload");
  EXPECT_EQ(JsonError(mp::Array({mp::Byte(0xc1)})),
            "invalid msgpack byte 0xc1 at offset 1 at payload[0]");
}

TEST(CanonicalJsonValue, DepthLimit) {
  auto nested = [](int levels) {
    std::string s;
    for (int i = 0; i < levels; ++i) s += mp::ArrayHeader(1);
    return s + mp::Nil();
  };
  std::string want;
  for (int i = 0; i < 256; ++i) want += "[";
  want += "null";
  for (int i = 0; i < 256; ++i) want += "]";
  EXPECT_EQ(Json(nested(256)), want);
  const std::string err = JsonError(nested(257));
  EXPECT_EQ(err.rfind("msgpack value nested deeper than 256 levels at payload[0][0]", 0), 0u)
      << err;
  // Maps count the same way, and hostile depths fail cleanly.
  std::string maps;
  for (int i = 0; i < 10000; ++i) maps += mp::MapHeader(1) + mp::Str("k");
  maps += mp::Nil();
  EXPECT_NE(JsonError(maps).find("nested deeper than 256 levels"), std::string::npos);
}

TEST(CanonicalJsonValue, HugeDeclaredCountsFailWithoutAllocating) {
  EXPECT_EQ(JsonError(mp::Map32Header(0xffffffff)), "truncated msgpack value at payload");
  EXPECT_EQ(JsonError(mp::Array32Header(0xffffffff)), "truncated msgpack value at payload[0]");
  EXPECT_EQ(JsonError(mp::Byte(0xdb) + mp::BE(0xffffffff, 4)),
            "truncated msgpack value at payload");
}

// --- §4.16 worked example --------------------------------------------------------------------

// The payloads of the example as the SDK writes them (JS insertion order, not sorted).
TEST(CanonicalJsonWorkedExample, Payloads) {
  EXPECT_EQ(Json(mp::Map({{"item_type", mp::Str("product")},
                          {"data", mp::Map({{"sku", mp::Str("A1")}, {"price", mp::F64(9.5)}})}})),
            R"({"data":{"price":9.5,"sku":"A1"},"item_type":"product"})");
  EXPECT_EQ(Json(mp::Map({{"level", mp::Str("info")}, {"message", mp::Str("page done")}})),
            R"({"level":"info","message":"page done"})");
  EXPECT_EQ(Json(mp::Map({})), "{}");
}

// Builds an `event` record the way the Lode writer does: envelope fields plus run
// configuration through ObjectBuilder, the payload transcoded from msgpack.
std::string EventLine(int64_t seq, std::string_view type, std::string_view event_id,
                      std::string_view ts, const std::string& payload_msgpack) {
  std::string payload;
  EXPECT_TRUE(AppendMsgpackAsJson(payload_msgpack, "payload", &payload).ok());
  ObjectBuilder b;
  b.AddString("type", type)
      .AddString("record_kind", "event")
      .AddString("contract_version", "0.13.4")
      .AddString("event_id", event_id)
      .AddString("run_id", "run-001")
      .AddInt("seq", seq)
      .AddString("event_type", type)
      .AddString("ts", ts)
      .AddRaw("payload", payload)
      .AddInt("attempt", 1)
      .AddString("job_id", "job-42")
      .AddString("source", "shop")
      .AddString("category", "products")
      .AddString("day", "2026-03-22")
      .AddString("policy", "strict");
  return b.Build();
}

TEST(CanonicalJsonWorkedExample, EventLines) {
  EXPECT_EQ(
      EventLine(1, "item", "5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c01", "2026-03-22T09:15:00.120Z",
                mp::Map({{"item_type", mp::Str("product")},
                         {"data", mp::Map({{"sku", mp::Str("A1")}, {"price", mp::F64(9.5)}})}})),
      R"({"attempt":1,"category":"products","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c01","event_type":"item","job_id":"job-42","payload":{"data":{"price":9.5,"sku":"A1"},"item_type":"product"},"policy":"strict","record_kind":"event","run_id":"run-001","seq":1,"source":"shop","ts":"2026-03-22T09:15:00.120Z","type":"item"})");
  EXPECT_EQ(
      EventLine(3, "log", "5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c03", "2026-03-22T09:15:00.300Z",
                mp::Map({{"level", mp::Str("info")}, {"message", mp::Str("page done")}})),
      R"({"attempt":1,"category":"products","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c03","event_type":"log","job_id":"job-42","payload":{"level":"info","message":"page done"},"policy":"strict","record_kind":"event","run_id":"run-001","seq":3,"source":"shop","ts":"2026-03-22T09:15:00.300Z","type":"log"})");
  const std::string s7 = EventLine(5, "run_complete", "5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c05",
                                   "2026-03-22T09:15:00.500Z", mp::Map({}));
  EXPECT_EQ(
      s7,
      R"({"attempt":1,"category":"products","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c05","event_type":"run_complete","job_id":"job-42","payload":{},"policy":"strict","record_kind":"event","run_id":"run-001","seq":5,"source":"shop","ts":"2026-03-22T09:15:00.500Z","type":"run_complete"})");
  EXPECT_EQ(s7.size() + 1, 329u);  // "The S7 line is 329 bytes including its LF."
}

TEST(CanonicalJsonWorkedExample, ChunkAndArtifactLines) {
  auto chunk = [](std::string_view data, int64_t seq, bool last, uint64_t offset) {
    std::string b64;
    AppendBase64(data, &b64);
    return ObjectBuilder()
        .AddString("record_kind", "artifact_chunk")
        .AddString("artifact_id", "art-1")
        .AddInt("seq", seq)
        .AddBool("is_last", last)
        .AddUint("offset", offset)
        .AddUint("length", data.size())
        .AddString("data", b64)
        .AddString("event_type", "artifact")
        .AddString("source", "shop")
        .AddString("category", "products")
        .AddString("day", "2026-03-22")
        .AddString("run_id", "run-001")
        .Build();
  };
  EXPECT_EQ(
      chunk("abcd", 1, false, 0),
      R"({"artifact_id":"art-1","category":"products","data":"YWJjZA==","day":"2026-03-22","event_type":"artifact","is_last":false,"length":4,"offset":0,"record_kind":"artifact_chunk","run_id":"run-001","seq":1,"source":"shop"})");
  EXPECT_EQ(
      chunk("ef", 2, true, 4),
      R"({"artifact_id":"art-1","category":"products","data":"ZWY=","day":"2026-03-22","event_type":"artifact","is_last":true,"length":2,"offset":4,"record_kind":"artifact_chunk","run_id":"run-001","seq":2,"source":"shop"})");

  const std::string s6 = ObjectBuilder()
                             .AddString("record_kind", "artifact_event")
                             .AddString("artifact_id", "art-1")
                             .AddString("name", "shot.png")
                             .AddString("content_type", "image/png")
                             .AddUint("size_bytes", 6)
                             .AddString("contract_version", "0.13.4")
                             .AddString("event_id", "5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c04")
                             .AddString("run_id", "run-001")
                             .AddInt("seq", 4)
                             .AddString("event_type", "artifact")
                             .AddString("ts", "2026-03-22T09:15:00.400Z")
                             .AddInt("attempt", 1)
                             .AddString("job_id", "job-42")
                             .AddString("source", "shop")
                             .AddString("category", "products")
                             .AddString("day", "2026-03-22")
                             .AddString("policy", "strict")
                             .Build();
  EXPECT_EQ(
      s6,
      R"({"artifact_id":"art-1","attempt":1,"category":"products","content_type":"image/png","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c04","event_type":"artifact","job_id":"job-42","name":"shot.png","policy":"strict","record_kind":"artifact_event","run_id":"run-001","seq":4,"size_bytes":6,"source":"shop","ts":"2026-03-22T09:15:00.400Z"})");
}

// --- ObjectBuilder and base64 ----------------------------------------------------------------

TEST(ObjectBuilderTest, SortsReplacesAndAppends) {
  ObjectBuilder b;
  b.AddInt("b", -2).AddUint("a", 18446744073709551615ull).AddBool("c", true).AddRaw("B", "[1]");
  b.AddString("a", "<x>");  // replaces
  EXPECT_EQ(b.Build(), R"({"B":[1],"a":"\u003cx\u003e","b":-2,"c":true})");
  std::string out = "x";
  b.AppendTo(&out);
  EXPECT_EQ(out, "x" + b.Build());
  EXPECT_EQ(ObjectBuilder().Build(), "{}");
}

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\xff\xfe\xfd\x00", 4), "//79AA=="},
  };
  for (const auto& [in, want] : cases) {
    std::string out = "p";
    AppendBase64(in, &out);
    EXPECT_EQ(out, "p" + want);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::string out;
  AppendBase64(all, &out);
  EXPECT_EQ(out.substr(0, 24), "AAECAwQFBgcICQoLDA0ODxAR");
  EXPECT_EQ(out.substr(out.size() - 8), "/P3+/w==");
  EXPECT_EQ(out.size(), 344u);
}

// --- cross-check against an independent JSON implementation ----------------------------------

nlohmann::json RandomJson(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 5 : 7);
  switch (kind(rng)) {
    case 0:
      return nullptr;
    case 1:
      return rng() % 2 == 0;
    case 2:
      return static_cast<int64_t>(rng()) - (int64_t{1} << 31);
    case 3:
      return uint64_t{rng()} << 32 | rng();
    case 4: {
      // An odd 53-bit mantissa: nlohmann would write anything float32 can hold as float32.
      const uint64_t mantissa = ((uint64_t{rng()} << 32 | rng()) & ((uint64_t{1} << 53) - 1)) | 1;
      const double d =
          std::ldexp(static_cast<double>(mantissa), static_cast<int>(rng() % 200) - 152);
      return rng() % 2 ? d : -d;
    }
    case 5: {
      // Whole UTF-8 pieces only, so that the round trip is exact.
      static const char* const kPieces[] = {
          "a",  "b",    "<",    ">", "&",        "\"",           "\\",
          "\n", "\x01", "\x7f", " ", "\xc3\xa9", "\xe2\x80\xa8", "\xf0\x9f\x98\x80"};
      std::string s;
      for (unsigned i = 0, n = rng() % 12; i < n; ++i) s += kPieces[rng() % std::size(kPieces)];
      return s;
    }
    case 6: {
      nlohmann::json a = nlohmann::json::array();
      for (unsigned i = 0, n = rng() % 5; i < n; ++i) a.push_back(RandomJson(rng, depth + 1));
      return a;
    }
    default: {
      nlohmann::json o = nlohmann::json::object();
      for (unsigned i = 0, n = rng() % 6; i < n; ++i) {
        o["k" + std::to_string(rng() % 20) + (rng() % 2 ? "<" : "é")] = RandomJson(rng, depth + 1);
      }
      return o;
    }
  }
}

TEST(CanonicalJsonCrossCheck, RoundTripsThroughNlohmann) {
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    const nlohmann::json doc = RandomJson(rng, 0);
    const std::vector<uint8_t> packed = nlohmann::json::to_msgpack(doc);
    const std::string out = Json(std::string(packed.begin(), packed.end()));
    const nlohmann::json back = nlohmann::json::parse(out);
    EXPECT_EQ(back, doc) << out;
  }
}

TEST(CanonicalJsonCrossCheck, MsgpackCxxEncodedInput) {
  // A document encoded by msgpack-cxx (a different encoder than our test builder).
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(3);
  pk.pack(std::string("tags"));
  pk.pack(std::vector<std::string>{"electronics", "sale"});
  pk.pack(std::string("price"));
  pk.pack(99.99);
  pk.pack(std::string("name"));
  pk.pack(std::string("Test Product"));
  EXPECT_EQ(Json(std::string(buf.data(), buf.size())),
            R"({"name":"Test Product","price":99.99,"tags":["electronics","sale"]})");
}

}  // namespace
}  // namespace quarry::json
