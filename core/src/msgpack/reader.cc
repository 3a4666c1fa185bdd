#include "msgpack/reader.h"

namespace quarry::msgpack {

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kNil:
      return "nil";
    case Type::kBool:
      return "bool";
    case Type::kUint:
    case Type::kInt:
      return "integer";
    case Type::kFloat32:
    case Type::kFloat64:
      return "float";
    case Type::kStr:
      return "string";
    case Type::kBin:
      return "binary";
    case Type::kArray:
      return "array";
    case Type::kMap:
      return "map";
    case Type::kExt:
      return "extension";
  }
  return "unknown";
}

ErrorCode DecodeTimestamp(std::string_view body, Timestamp* ts) {
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  auto load = [p](size_t at, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | p[at + i];
    return v;
  };
  switch (body.size()) {
    case 4:
      ts->seconds = static_cast<int64_t>(load(0, 4));
      ts->nanos = 0;
      return ErrorCode::kNone;
    case 8: {
      const uint64_t v = load(0, 8);
      ts->nanos = static_cast<uint32_t>(v >> 34);
      ts->seconds = static_cast<int64_t>(v & ((uint64_t{1} << 34) - 1));
      break;
    }
    case 12:
      ts->nanos = static_cast<uint32_t>(load(0, 4));
      ts->seconds = static_cast<int64_t>(load(4, 8));
      break;
    default:
      return ErrorCode::kBadTimestampLength;
  }
  return ts->nanos > 999'999'999u ? ErrorCode::kBadTimestampNanos : ErrorCode::kNone;
}

bool Reader::NextSlow(Value* v) {
  if (cur_ == end_) {
    if (error_ == ErrorCode::kNone) Fail(ErrorCode::kTruncated, offset());
    return false;
  }
  const unsigned b = *cur_++;
  if ((b & 0xe0) == 0xa0) {
    v->type = Type::kStr;
    return ReadBody(b & 0x1fu, v);
  }
  if (b >= 0xe0) {
    v->type = Type::kInt;
    v->int_value = static_cast<int8_t>(b);
    return true;
  }
  switch (b) {
    case 0xc0:
      v->type = Type::kNil;
      return true;
    case 0xc2:
    case 0xc3:
      v->type = Type::kBool;
      v->boolean = b == 0xc3;
      return true;
    case 0xc4:
      return ReadSized<1>(Type::kBin, v);
    case 0xc5:
      return ReadSized<2>(Type::kBin, v);
    case 0xc6:
      return ReadSized<4>(Type::kBin, v);
    case 0xc7:
      return ReadExtSized<1>(v);
    case 0xc8:
      return ReadExtSized<2>(v);
    case 0xc9:
      return ReadExtSized<4>(v);
    case 0xca: {
      if (!Need(4)) return false;
      const auto bits = static_cast<uint32_t>(Load<4>());
      float f;
      std::memcpy(&f, &bits, sizeof f);
      v->type = Type::kFloat32;
      v->float_value = f;
      return true;
    }
    case 0xcb: {
      if (!Need(8)) return false;
      const uint64_t bits = Load<8>();
      std::memcpy(&v->float_value, &bits, sizeof bits);
      v->type = Type::kFloat64;
      return true;
    }
    case 0xcc:
      return ReadUint<1>(v);
    case 0xcd:
      return ReadUint<2>(v);
    case 0xce:
      return ReadUint<4>(v);
    case 0xcf:
      return ReadUint<8>(v);
    case 0xd0:
      return ReadInt<1>(v);
    case 0xd1:
      return ReadInt<2>(v);
    case 0xd2:
      return ReadInt<4>(v);
    case 0xd3:
      return ReadInt<8>(v);
    case 0xd4:
      return ReadExt(1, v);
    case 0xd5:
      return ReadExt(2, v);
    case 0xd6:
      return ReadExt(4, v);
    case 0xd7:
      return ReadExt(8, v);
    case 0xd8:
      return ReadExt(16, v);
    case 0xd9:
      return ReadSized<1>(Type::kStr, v);
    case 0xda:
      return ReadSized<2>(Type::kStr, v);
    case 0xdb:
      return ReadSized<4>(Type::kStr, v);
    case 0xdc:
      return ReadCount<2>(Type::kArray, v);
    case 0xdd:
      return ReadCount<4>(Type::kArray, v);
    case 0xde:
      return ReadCount<2>(Type::kMap, v);
    case 0xdf:
      return ReadCount<4>(Type::kMap, v);
    default:  // 0xc1
      --cur_;
      return Fail(ErrorCode::kInvalidByte, offset(), b);
  }
}

bool Reader::SkipImpl(bool strict, int max_depth) {
  const size_t start = offset();
  Value v;
  if (!Next(&v)) return false;
  return SkipRest(strict, max_depth, v, start);
}

bool Reader::SkipRest(bool strict, int max_depth, Value v, size_t start) {
  // Iterative so that hostile nesting cannot exhaust the stack. left[i] counts the elements
  // still to read in the i-th open container; maps count keys and values separately, so an even
  // count means the next element is a key. Both arrays are only read below `top`.
  uint64_t left[kMaxDepth];
  bool is_map[kMaxDepth];
  int top = -1;
  if (max_depth > kMaxDepth) max_depth = kMaxDepth;
  for (;;) {
    if (v.type == Type::kArray || v.type == Type::kMap) {
      if (top + 2 > max_depth) return Fail(ErrorCode::kTooDeep, start);
      const bool map = v.type == Type::kMap;
      const uint64_t n = map ? uint64_t{v.count} * 2 : v.count;
      if (n > 0) {
        ++top;
        left[top] = n;
        is_map[top] = map;
      }
    } else if (strict && v.type == Type::kExt) {
      if (v.ext_type != kTimestampExtType) {
        return Fail(ErrorCode::kUnsupportedExt, start, v.ext_type);
      }
      Timestamp ts;
      const ErrorCode ec = DecodeTimestamp(v.bytes, &ts);
      if (ec != ErrorCode::kNone) {
        return Fail(ec, start,
                    ec == ErrorCode::kBadTimestampLength ? static_cast<int64_t>(v.bytes.size())
                                                         : int64_t{ts.nanos});
      }
    }
    while (top >= 0 && left[top] == 0) --top;
    if (top < 0) return true;
    const bool is_key = strict && is_map[top] && left[top] % 2 == 0;
    --left[top];
    start = offset();
    if (!Next(&v)) return false;
    if (is_key && v.type != Type::kStr) return Fail(ErrorCode::kNonStringKey, start);
  }
}

std::string Reader::ErrorMessage() const {
  switch (error_) {
    case ErrorCode::kNone:
      return "";
    case ErrorCode::kTruncated:
      return "truncated msgpack value";
    case ErrorCode::kInvalidByte: {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string m = "invalid msgpack byte 0x";
      m += kHex[(error_detail_ >> 4) & 0xf];
      m += kHex[error_detail_ & 0xf];
      m += " at offset " + std::to_string(error_offset_);
      return m;
    }
    case ErrorCode::kTooDeep:
      return "msgpack value nested deeper than " + std::to_string(kMaxDepth) + " levels";
    case ErrorCode::kNonStringKey:
      return "map key must be a string";
    case ErrorCode::kUnsupportedExt:
      return "unsupported extension type " + std::to_string(error_detail_);
    case ErrorCode::kBadTimestampLength:
      return "invalid timestamp extension (" + std::to_string(error_detail_) + " bytes)";
    case ErrorCode::kBadTimestampNanos:
      return "invalid timestamp extension (nanoseconds " + std::to_string(error_detail_) +
             " out of range)";
  }
  return "msgpack error";
}

}  // namespace quarry::msgpack
