#include "msgpack/reader.h"

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "msgpack_builder.h"

namespace quarry::msgpack {
namespace {

namespace mp = quarry::testing::mp;

Value ReadOne(const std::string& bytes) {
  Reader r(bytes);
  Value v;
  EXPECT_TRUE(r.Next(&v)) << r.ErrorMessage();
  EXPECT_TRUE(r.AtEnd());
  return v;
}

TEST(MsgpackReader, NilAndBool) {
  EXPECT_EQ(ReadOne(mp::Nil()).type, Type::kNil);
  Value t = ReadOne(mp::Bool(true));
  EXPECT_EQ(t.type, Type::kBool);
  EXPECT_TRUE(t.boolean);
  EXPECT_FALSE(ReadOne(mp::Bool(false)).boolean);
}

TEST(MsgpackReader, UnsignedIntegers) {
  struct Case {
    std::string bytes;
    uint64_t want;
  };
  const Case cases[] = {
      {mp::Uint(0), 0},
      {mp::Uint(127), 127},
      {mp::U8(255), 255},
      {mp::U16(65535), 65535},
      {mp::U32(4294967295u), 4294967295u},
      {mp::U64(18446744073709551615ull), 18446744073709551615ull},
      {mp::U64(1), 1},
  };
  for (const Case& c : cases) {
    Value v = ReadOne(c.bytes);
    EXPECT_EQ(v.type, Type::kUint);
    EXPECT_EQ(v.uint_value, c.want);
    EXPECT_TRUE(v.IsInteger());
  }
}

TEST(MsgpackReader, SignedIntegers) {
  struct Case {
    std::string bytes;
    int64_t want;
  };
  const Case cases[] = {
      {mp::Int(-1), -1},
      {mp::Int(-32), -32},
      {mp::I8(-128), -128},
      {mp::I8(127), 127},
      {mp::I16(-32768), -32768},
      {mp::I16(1000), 1000},
      {mp::I32(-2147483648ll), -2147483648ll},
      {mp::I64(std::numeric_limits<int64_t>::min()), std::numeric_limits<int64_t>::min()},
      {mp::I64(std::numeric_limits<int64_t>::max()), std::numeric_limits<int64_t>::max()},
  };
  for (const Case& c : cases) {
    Value v = ReadOne(c.bytes);
    EXPECT_EQ(v.type, Type::kInt);
    EXPECT_EQ(v.int_value, c.want);
  }
}

TEST(MsgpackReader, IntegerConversions) {
  int64_t i = 0;
  uint64_t u = 0;
  EXPECT_TRUE(ReadOne(mp::U64(9223372036854775807ull)).ToInt64(&i));
  EXPECT_EQ(i, std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(ReadOne(mp::U64(9223372036854775808ull)).ToInt64(&i));
  EXPECT_TRUE(ReadOne(mp::U64(9223372036854775808ull)).ToUint64(&u));
  EXPECT_EQ(u, 9223372036854775808ull);
  EXPECT_TRUE(ReadOne(mp::I8(5)).ToUint64(&u));
  EXPECT_EQ(u, 5u);
  EXPECT_FALSE(ReadOne(mp::Int(-1)).ToUint64(&u));
  EXPECT_FALSE(ReadOne(mp::F64(1.0)).ToInt64(&i));
  EXPECT_FALSE(ReadOne(mp::Str("1")).ToUint64(&u));
}

TEST(MsgpackReader, Floats) {
  Value d = ReadOne(mp::F64(99.99));
  EXPECT_EQ(d.type, Type::kFloat64);
  EXPECT_EQ(d.float_value, 99.99);
  Value f = ReadOne(mp::F32(1.5f));
  EXPECT_EQ(f.type, Type::kFloat32);
  EXPECT_EQ(f.float_value, 1.5);
  EXPECT_TRUE(std::isnan(ReadOne(mp::F64(std::nan(""))).float_value));
  EXPECT_TRUE(d.IsFloat());
}

TEST(MsgpackReader, StringsAndBinariesOfEveryWidth) {
  const std::string long_text(70000, 'x');
  EXPECT_EQ(ReadOne(mp::Str("")).bytes, "");
  EXPECT_EQ(ReadOne(mp::Str("abc")).bytes, "abc");
  EXPECT_EQ(ReadOne(mp::Str(std::string(31, 'a'))).bytes.size(), 31u);
  EXPECT_EQ(ReadOne(mp::Str8("abc")).bytes, "abc");
  EXPECT_EQ(ReadOne(mp::Str16("abc")).bytes, "abc");
  EXPECT_EQ(ReadOne(mp::Str32("abc")).bytes, "abc");
  EXPECT_EQ(ReadOne(mp::Str(long_text)).bytes, long_text);
  for (const std::string& b : {mp::Bin("ab"), mp::Bin16("ab"), mp::Bin32("ab")}) {
    Value v = ReadOne(b);
    EXPECT_EQ(v.type, Type::kBin);
    EXPECT_EQ(v.bytes, "ab");
  }
}

TEST(MsgpackReader, ViewsPointIntoTheInput) {
  const std::string bytes = mp::Str("hello");
  Reader r(bytes);
  Value v;
  ASSERT_TRUE(r.Next(&v));
  EXPECT_EQ(v.bytes.data(), bytes.data() + 1);
}

TEST(MsgpackReader, ContainerHeaders) {
  struct Case {
    std::string bytes;
    Type type;
    uint32_t count;
  };
  const Case cases[] = {
      {mp::MapHeader(0), Type::kMap, 0},
      {mp::MapHeader(15), Type::kMap, 15},
      {mp::Map16Header(3), Type::kMap, 3},
      {mp::Map32Header(70000), Type::kMap, 70000},
      {mp::ArrayHeader(0), Type::kArray, 0},
      {mp::ArrayHeader(15), Type::kArray, 15},
      {mp::Array16Header(16), Type::kArray, 16},
      {mp::Array32Header(0xffffffff), Type::kArray, 0xffffffff},
  };
  for (const Case& c : cases) {
    Value v = ReadOne(c.bytes);
    EXPECT_EQ(v.type, c.type);
    EXPECT_EQ(v.count, c.count);
  }
}

TEST(MsgpackReader, Extensions) {
  const std::pair<std::string, size_t> cases[] = {
      {mp::Ext(7, "a"), 1},
      {mp::Ext(7, "ab"), 2},
      {mp::Ext(7, "abcd"), 4},
      {mp::Ext(7, "abcdefgh"), 8},
      {mp::Ext(7, std::string(16, 'z')), 16},
      {mp::Ext(7, "abc"), 3},
      {mp::Ext(7, std::string(300, 'q')), 300},
      {mp::Byte(0xc9) + mp::BE(2, 4) + mp::Byte(7) + "zz", 2},
  };
  for (const auto& [bytes, size] : cases) {
    Value v = ReadOne(bytes);
    EXPECT_EQ(v.type, Type::kExt);
    EXPECT_EQ(v.ext_type, 7);
    EXPECT_EQ(v.bytes.size(), size);
  }
  EXPECT_EQ(ReadOne(mp::Ext(-1, "abcd")).ext_type, -1);
  EXPECT_EQ(ReadOne(mp::Ext(-128, "abcd")).ext_type, -128);
}

TEST(MsgpackReader, TimestampLayouts) {
  Timestamp ts;
  EXPECT_EQ(DecodeTimestamp(mp::BE(1774170900, 4), &ts), ErrorCode::kNone);
  EXPECT_EQ(ts.seconds, 1774170900);
  EXPECT_EQ(ts.nanos, 0u);
  EXPECT_EQ(DecodeTimestamp(mp::BE((uint64_t{120000000} << 34) | 1774170900, 8), &ts),
            ErrorCode::kNone);
  EXPECT_EQ(ts.seconds, 1774170900);
  EXPECT_EQ(ts.nanos, 120000000u);
  EXPECT_EQ(DecodeTimestamp(mp::BE(5, 4) + mp::BE(static_cast<uint64_t>(-10), 8), &ts),
            ErrorCode::kNone);
  EXPECT_EQ(ts.seconds, -10);
  EXPECT_EQ(ts.nanos, 5u);
  EXPECT_EQ(DecodeTimestamp("abc", &ts), ErrorCode::kBadTimestampLength);
  EXPECT_EQ(DecodeTimestamp(mp::BE(1000000000, 4) + mp::BE(0, 8), &ts),
            ErrorCode::kBadTimestampNanos);
  EXPECT_EQ(DecodeTimestamp(mp::BE(uint64_t{1000000000} << 34, 8), &ts),
            ErrorCode::kBadTimestampNanos);

  // msgpack-cxx as an independent encoder of the 96-bit form.
  ::msgpack::sbuffer buf;
  ::msgpack::packer<::msgpack::sbuffer> pk(buf);
  pk.pack_ext(12, -1);
  const std::string body = mp::BE(7, 4) + mp::BE(1, 8);
  pk.pack_ext_body(body.data(), 12);
  const std::string packed(buf.data(), buf.size());
  Value v = ReadOne(packed);
  ASSERT_EQ(v.type, Type::kExt);
  EXPECT_EQ(DecodeTimestamp(v.bytes, &ts), ErrorCode::kNone);
  EXPECT_EQ(ts.seconds, 1);
  EXPECT_EQ(ts.nanos, 7u);
}

TEST(MsgpackReader, EveryTruncationIsReported) {
  const std::string samples[] = {
      mp::U8(1),
      mp::U16(1),
      mp::U32(1),
      mp::U64(1),
      mp::I8(-1),
      mp::I16(-1),
      mp::I32(-1),
      mp::I64(-1),
      mp::F32(1),
      mp::F64(1),
      mp::Str("abc"),
      mp::Str8("abc"),
      mp::Str16("abc"),
      mp::Str32("abc"),
      mp::Bin("abc"),
      mp::Bin16("abc"),
      mp::Bin32("abc"),
      mp::Ext(1, "a"),
      mp::Ext(1, "abcd"),
      mp::Ext(1, "abc"),
      mp::Ext(1, std::string(300, 'x')),
      mp::Ext(1, std::string(16, 'x')),
      mp::Map16Header(1),
      mp::Map32Header(1),
      mp::Array16Header(1),
      mp::Array32Header(1),
  };
  for (const std::string& s : samples) {
    for (size_t cut = 0; cut < s.size(); ++cut) {
      Reader r(std::string_view(s).substr(0, cut));
      Value v;
      EXPECT_FALSE(r.Next(&v)) << quarry::testing::ToHex(s) << " cut at " << cut;
      EXPECT_EQ(r.error(), ErrorCode::kTruncated);
      EXPECT_EQ(r.ErrorMessage(), "truncated msgpack value");
    }
  }
}

TEST(MsgpackReader, InvalidByteAndStickyErrors) {
  const std::string bytes = mp::Uint(1) + mp::Byte(0xc1) + mp::Uint(2);
  Reader r(bytes);
  Value v;
  ASSERT_TRUE(r.Next(&v));
  EXPECT_FALSE(r.Next(&v));
  EXPECT_EQ(r.error(), ErrorCode::kInvalidByte);
  EXPECT_EQ(r.ErrorMessage(), "invalid msgpack byte 0xc1 at offset 1");
  EXPECT_FALSE(r.Next(&v)) << "errors stick";
  EXPECT_FALSE(r.Skip());
  EXPECT_EQ(r.error_offset(), 1u);
}

TEST(MsgpackReader, SkipWalksNestedValues) {
  const std::string value = mp::Map({
      {"a", mp::Array({mp::Uint(1), mp::Map({{"b", mp::Str("c")}}), mp::Array({})})},
      {"d", mp::Bin("xyz")},
      {"e", mp::Ext(3, "abcd")},
  });
  const std::string bytes = value + mp::Uint(9);
  Reader r(bytes);
  ASSERT_TRUE(r.Skip());
  EXPECT_EQ(r.offset(), value.size());
  Value v;
  ASSERT_TRUE(r.Next(&v));
  EXPECT_EQ(v.uint_value, 9u);
  // Scalars skip too.
  const std::string s_bytes = mp::Str("x") + mp::Nil();
  Reader s(s_bytes);
  ASSERT_TRUE(s.Skip());
  ASSERT_TRUE(s.Skip());
  EXPECT_TRUE(s.AtEnd());
}

TEST(MsgpackReader, SkipStrictAppliesThePayloadRules) {
  {
    const std::string bytes = mp::Map({{"a", mp::MapHeader(1) + mp::Uint(1) + mp::Nil()}});
    Reader lax(bytes);
    EXPECT_TRUE(lax.Skip());
    Reader strict(bytes);
    EXPECT_FALSE(strict.SkipStrict());
    EXPECT_EQ(strict.ErrorMessage(), "map key must be a string");
    EXPECT_EQ(strict.error_offset(), 4u);
  }
  {
    const std::string bytes = mp::Array({mp::Ext(5, "a")});
    Reader lax(bytes);
    EXPECT_TRUE(lax.Skip());
    Reader strict(bytes);
    EXPECT_FALSE(strict.SkipStrict());
    EXPECT_EQ(strict.ErrorMessage(), "unsupported extension type 5");
  }
  {
    const std::string strict_bytes = mp::Array({mp::Ext(-1, "abcdef")});
    Reader strict(strict_bytes);
    EXPECT_FALSE(strict.SkipStrict());
    EXPECT_EQ(strict.ErrorMessage(), "invalid timestamp extension (6 bytes)");
  }
  {
    const std::string strict_bytes = mp::Timestamp96(0, 1000000000);
    Reader strict(strict_bytes);
    EXPECT_FALSE(strict.SkipStrict());
    EXPECT_EQ(strict.ErrorMessage(),
              "invalid timestamp extension (nanoseconds 1000000000 out of range)");
  }
  {
    // Values of a map may be anything; only keys must be strings.
    const std::string strict_bytes =
        mp::Map({{"t", mp::Timestamp32(1)}, {"m", mp::Map({{"k", mp::Array({})}})}});
    Reader strict(strict_bytes);
    EXPECT_TRUE(strict.SkipStrict()) << strict.ErrorMessage();
    EXPECT_TRUE(strict.AtEnd());
  }
}

TEST(MsgpackReader, DepthLimit) {
  auto nested = [](int levels) {
    std::string s;
    for (int i = 0; i < levels; ++i)
      s += (i % 2 ? mp::ArrayHeader(1) : mp::MapHeader(1) + mp::Str("k"));
    return s + mp::Nil();
  };
  const std::string ok_bytes = nested(kMaxDepth);
  Reader ok(ok_bytes);
  EXPECT_TRUE(ok.SkipStrict()) << ok.ErrorMessage();
  const std::string deep_bytes = nested(kMaxDepth + 1);
  Reader deep(deep_bytes);
  EXPECT_FALSE(deep.SkipStrict());
  EXPECT_EQ(deep.ErrorMessage(), "msgpack value nested deeper than 256 levels");
  const std::string limited_bytes = nested(3);
  Reader limited(limited_bytes);
  EXPECT_FALSE(limited.Skip(2));
  const std::string at_limit_bytes = nested(3);
  Reader at_limit(at_limit_bytes);
  EXPECT_TRUE(at_limit.Skip(3));
  // Empty containers count as a level too.
  const std::string empty_bytes = mp::ArrayHeader(1) + mp::ArrayHeader(0);
  Reader empty(empty_bytes);
  EXPECT_FALSE(empty.Skip(1));
  // A hostile stream of 1 MiB nested headers fails without recursion.
  const std::string hostile_bytes = std::string(1 << 20, static_cast<char>(0x91));
  Reader hostile(hostile_bytes);
  EXPECT_FALSE(hostile.Skip());
  EXPECT_EQ(hostile.error(), ErrorCode::kTooDeep);
}

TEST(MsgpackReader, HugeDeclaredSizesDoNotOverrun) {
  const std::string a_bytes = mp::Array32Header(0xffffffff) + mp::Nil();
  Reader a(a_bytes);
  EXPECT_FALSE(a.Skip());
  EXPECT_EQ(a.error(), ErrorCode::kTruncated);
  const std::string m_bytes = mp::Map32Header(0xffffffff);
  Reader m(m_bytes);
  EXPECT_FALSE(m.Skip());
  const std::string s_bytes = mp::Byte(0xdb) + mp::BE(0xfffffffe, 4) + "abc";
  Reader s(s_bytes);
  Value v;
  EXPECT_FALSE(s.Next(&v));
  EXPECT_EQ(s.error(), ErrorCode::kTruncated);
  const std::string e_bytes = mp::Byte(0xc9) + mp::BE(0xffffffff, 4) + mp::Byte(1);
  Reader e(e_bytes);
  EXPECT_FALSE(e.Next(&v));
}

TEST(MsgpackReader, ReadsMsgpackCxxOutput) {
  ::msgpack::sbuffer buf;
  ::msgpack::packer<::msgpack::sbuffer> pk(buf);
  pk.pack_map(2);
  pk.pack(std::string("n"));
  pk.pack(int64_t{-70000});
  pk.pack(std::string("list"));
  pk.pack(std::vector<uint64_t>{1, 300, 70000, 5000000000ull});
  Reader r(std::string_view(buf.data(), buf.size()));
  Value v;
  ASSERT_TRUE(r.Next(&v));
  ASSERT_EQ(v.type, Type::kMap);
  ASSERT_TRUE(r.Next(&v));
  EXPECT_EQ(v.bytes, "n");
  ASSERT_TRUE(r.Next(&v));
  EXPECT_EQ(v.int_value, -70000);
  ASSERT_TRUE(r.Next(&v));
  ASSERT_TRUE(r.Next(&v));
  ASSERT_EQ(v.count, 4u);
  for (uint64_t want : {1ull, 300ull, 70000ull, 5000000000ull}) {
    ASSERT_TRUE(r.Next(&v));
    EXPECT_EQ(v.uint_value, want);
  }
  EXPECT_TRUE(r.AtEnd());
}

TEST(MsgpackReader, TypeNames) {
  EXPECT_EQ(TypeName(Type::kNil), "nil");
  EXPECT_EQ(TypeName(Type::kUint), "integer");
  EXPECT_EQ(TypeName(Type::kInt), "integer");
  EXPECT_EQ(TypeName(Type::kFloat32), "float");
  EXPECT_EQ(TypeName(Type::kStr), "string");
  EXPECT_EQ(TypeName(Type::kBin), "binary");
  EXPECT_EQ(TypeName(Type::kArray), "array");
  EXPECT_EQ(TypeName(Type::kMap), "map");
  EXPECT_EQ(TypeName(Type::kExt), "extension");
  EXPECT_EQ(TypeName(Type::kBool), "bool");
}

}  // namespace
}  // namespace quarry::msgpack
