// A zero-copy msgpack cursor over a byte view.
//
// The executor pipe is the hot path of a run, so reading never allocates: strings, binaries and
// extension bodies come back as views into the input, containers as element counts whose
// elements follow in the stream. The cursor checks every length against the remaining bytes and
// stops at the first malformed byte; the error then sticks (every later call fails) so callers
// can test once at the end of a sequence of reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

namespace quarry::msgpack {

// Containers nested deeper than this are refused. Deep enough for any real scraped record, and
// it bounds the stack used by recursive consumers such as the JSON transcoder.
inline constexpr int kMaxDepth = 256;

// The only extension type accepted anywhere (msgpack timestamp).
inline constexpr int8_t kTimestampExtType = -1;

enum class Type : uint8_t {
  kNil,
  kBool,
  kUint,  // positive fixint, uint8..uint64
  kInt,   // negative fixint, int8..int64 (the value may still be >= 0)
  kFloat32,
  kFloat64,
  kStr,
  kBin,
  kArray,
  kMap,
  kExt,
};

// Name used in error messages: "nil", "bool", "integer", "float", "string", "binary", "array",
// "map", "extension".
std::string_view TypeName(Type type);

// One decoded value header. Only the members matching `type` are meaningful. Deliberately
// trivial (no member initialisers): decoders keep arrays of these on the stack per frame, and
// zero-filling them would cost more than reading the frame. Next() sets what `type` needs.
struct Value {
  Type type;
  bool boolean;
  int8_t ext_type;
  uint32_t count;  // kArray: elements; kMap: key/value pairs
  union {
    uint64_t uint_value;  // kUint
    int64_t int_value;    // kInt
    double float_value;   // kFloat32 (widened) and kFloat64
  };
  std::string_view bytes;  // kStr, kBin, kExt body

  static Value Nil() {
    Value v;
    v.type = Type::kNil;
    return v;
  }

  bool IsInteger() const { return type == Type::kUint || type == Type::kInt; }
  bool IsFloat() const { return type == Type::kFloat32 || type == Type::kFloat64; }

  // Integer of any wire width as int64/uint64; false when not an integer or out of range.
  bool ToInt64(int64_t* out) const {
    if (type == Type::kInt) {
      *out = int_value;
      return true;
    }
    if (type == Type::kUint && uint_value <= uint64_t{std::numeric_limits<int64_t>::max()}) {
      *out = static_cast<int64_t>(uint_value);
      return true;
    }
    return false;
  }
  bool ToUint64(uint64_t* out) const {
    if (type == Type::kUint) {
      *out = uint_value;
      return true;
    }
    if (type == Type::kInt && int_value >= 0) {
      *out = static_cast<uint64_t>(int_value);
      return true;
    }
    return false;
  }
};

enum class ErrorCode : uint8_t {
  kNone,
  kTruncated,           // a header or body runs past the end of the input
  kInvalidByte,         // 0xc1, the one byte msgpack never uses
  kTooDeep,             // containers nested deeper than the caller's limit
  kNonStringKey,        // strict mode: a map key that is not a str
  kUnsupportedExt,      // strict mode: an extension type other than -1
  kBadTimestampLength,  // ext -1 whose body is not 4, 8 or 12 bytes
  kBadTimestampNanos,   // ext -1 with nanoseconds >= 1e9
};

struct Timestamp {
  int64_t seconds = 0;
  uint32_t nanos = 0;
};

// Decodes the body of a timestamp extension (all three layouts: 32-bit seconds; 30-bit nanos +
// 34-bit seconds; 32-bit nanos + signed 64-bit seconds). Returns kNone, kBadTimestampLength or
// kBadTimestampNanos.
ErrorCode DecodeTimestamp(std::string_view body, Timestamp* ts);

class Reader {
 public:
  explicit Reader(std::string_view data)
      : begin_(reinterpret_cast<const unsigned char*>(data.data())),
        cur_(begin_),
        end_(begin_ + data.size()) {}

  // Reads one value header. For str, bin and ext the body is consumed too and returned as a
  // view; for arrays and maps only the header is consumed and the elements follow.
  bool Next(Value* v);

  // Skips one complete value including everything nested in it. Checks only the structure
  // (bounds, 0xc1, nesting depth).
  bool Skip(int max_depth = kMaxDepth) { return SkipImpl(false, max_depth); }

  // Like Skip, and also applies the contract's payload rules at every level: map keys must be
  // strings, the only extension is a well-formed timestamp.
  bool SkipStrict(int max_depth = kMaxDepth) { return SkipImpl(true, max_depth); }

  // Finishes skipping a value whose header `v` was just read by Next() from `start`: for a
  // container, its elements; for an extension in strict mode, the timestamp check. For cheap
  // single-pass "read the header, then skip the rest if it is nested".
  bool SkipRestStrict(const Value& v, size_t start, int max_depth = kMaxDepth) {
    return SkipRest(true, max_depth, v, start);
  }

  size_t offset() const { return static_cast<size_t>(cur_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - cur_); }
  bool AtEnd() const { return cur_ == end_; }
  std::string_view data() const {
    return std::string_view(reinterpret_cast<const char*>(begin_),
                            static_cast<size_t>(end_ - begin_));
  }
  // Repositions the cursor (used to revisit a value whose extent is known). Clears no error.
  void Seek(size_t pos) { cur_ = pos < static_cast<size_t>(end_ - begin_) ? begin_ + pos : end_; }

  bool ok() const { return error_ == ErrorCode::kNone; }
  ErrorCode error() const { return error_; }
  size_t error_offset() const { return error_offset_; }
  // One-line description of the error, e.g. "truncated msgpack value" or "unsupported
  // extension type 5". Empty when ok().
  std::string ErrorMessage() const;

  // Records an error found by a caller at `offset` (the first error wins). Always false.
  bool Fail(ErrorCode code, size_t offset, int64_t detail = 0) {
    if (error_ == ErrorCode::kNone) {
      error_ = code;
      error_offset_ = offset;
      error_detail_ = detail;
      // Park the cursor at the end so that a caller ignoring the result cannot loop forever.
      cur_ = end_;
    }
    return false;
  }

 private:
  bool Need(size_t n) {
    if (n <= static_cast<size_t>(end_ - cur_)) return true;
    return Fail(ErrorCode::kTruncated, offset());
  }
  // Big-endian load of n bytes at the cursor; callers have checked Need(n).
  template <size_t N>
  uint64_t Load() {
    uint64_t v = 0;
    for (size_t i = 0; i < N; ++i) v = (v << 8) | cur_[i];
    cur_ += N;
    return v;
  }
  bool ReadBody(size_t len, Value* v) {
    if (!Need(len)) return false;
    v->bytes = std::string_view(reinterpret_cast<const char*>(cur_), len);
    cur_ += len;
    return true;
  }
  template <size_t N>
  bool ReadSized(Type type, Value* v) {
    if (!Need(N)) return false;
    v->type = type;
    return ReadBody(static_cast<size_t>(Load<N>()), v);
  }
  template <size_t N>
  bool ReadExtSized(Value* v) {
    if (!Need(N)) return false;
    return ReadExt(static_cast<size_t>(Load<N>()), v);
  }
  bool ReadExt(size_t len, Value* v) {
    if (!Need(1)) return false;
    v->type = Type::kExt;
    v->ext_type = static_cast<int8_t>(*cur_++);
    return ReadBody(len, v);
  }
  template <size_t N>
  bool ReadCount(Type type, Value* v) {
    if (!Need(N)) return false;
    v->type = type;
    v->count = static_cast<uint32_t>(Load<N>());
    return true;
  }
  template <size_t N>
  bool ReadUint(Value* v) {
    if (!Need(N)) return false;
    v->type = Type::kUint;
    v->uint_value = Load<N>();
    return true;
  }
  template <size_t N>
  bool ReadInt(Value* v) {
    if (!Need(N)) return false;
    constexpr unsigned kShift = 64 - 8 * N;
    // Sign-extend through the top bits; well defined since C++20.
    v->type = Type::kInt;
    v->int_value = static_cast<int64_t>(Load<N>() << kShift) >> kShift;
    return true;
  }
  bool NextSlow(Value* v);
  bool SkipImpl(bool strict, int max_depth);
  bool SkipRest(bool strict, int max_depth, Value v, size_t start);

  const unsigned char* begin_;
  const unsigned char* cur_;
  const unsigned char* end_;
  ErrorCode error_ = ErrorCode::kNone;
  size_t error_offset_ = 0;
  int64_t error_detail_ = 0;
};

// The common one-byte forms are decoded inline; everything else goes through NextSlow.
inline bool Reader::Next(Value* v) {
  // A failed reader has its cursor parked at the end, so this also covers sticky errors.
  if (cur_ == end_) [[unlikely]] {
    return NextSlow(v);
  }
  const unsigned b = *cur_;
  // Most common first: keys and short strings, small integers, small maps and arrays.
  if ((b & 0xe0) == 0xa0) {
    const size_t len = b & 0x1fu;
    if (len >= static_cast<size_t>(end_ - cur_)) [[unlikely]] {
      return NextSlow(v);
    }
    v->type = Type::kStr;
    v->bytes = std::string_view(reinterpret_cast<const char*>(cur_ + 1), len);
    cur_ += 1 + len;
    return true;
  }
  if (b <= 0x7f) {
    ++cur_;
    v->type = Type::kUint;
    v->uint_value = b;
    return true;
  }
  if (b <= 0x9f) {
    ++cur_;
    v->type = b <= 0x8f ? Type::kMap : Type::kArray;
    v->count = b & 0x0fu;
    return true;
  }
  return NextSlow(v);
}

}  // namespace quarry::msgpack
