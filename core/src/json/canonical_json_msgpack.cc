// msgpack -> canonical JSON transcoding (§4.8), and the size bound that lets admission checks skip
// it.
#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "json/canonical_json_internal.h"
#include "msgpack/reader.h"
#include "quarry/json/canonical_json.h"

namespace quarry::json {
namespace {

using internal::AppendFloat32;
using internal::AppendInteger;
using internal::AppendQuoted;
using internal::AppendRfc3339;
using internal::kMaxRfc3339Seconds;
using internal::kMinRfc3339Seconds;
using internal::Utf8SequenceLength;

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
      // Values may be lossy (\ufffd, §4.8) but keys may not: two distinct invalid keys would
      // become one, and a reader would keep only one of their values.
      if (!IsValidUtf8(key.bytes)) {
        segments_[depth] = KeySegment(key.bytes);
        return Fail("map key is not valid UTF-8", depth + 1);
      }
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
        AppendPrintable(std::string_view(s.key, s.key_size), &error_);
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
          if (!IsValidUtf8(key.bytes)) return false;
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

Status AppendMsgpackAsJson(std::string_view msgpack, std::string_view path, std::string* out) {
  return Transcoder(msgpack, path, out).Run();
}

std::optional<size_t> MsgpackAsJsonSizeBound(std::string_view msgpack) {
  return JsonSizeBound(msgpack).Run();
}

}  // namespace quarry::json
