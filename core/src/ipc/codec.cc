#include "quarry/ipc/codec.h"

#include <cmath>
#include <limits>

#include "msgpack/reader.h"

namespace quarry::ipc {
namespace {

using msgpack::Reader;
using msgpack::Type;
using msgpack::Value;

constexpr std::string_view kErrorPrefix = "decode error: ";

Status DecodeError(std::string_view what) {
  std::string m(kErrorPrefix);
  m += what;
  return InvalidArgumentError(std::move(m));
}

Status ReaderError(const Reader& r) { return DecodeError(r.ErrorMessage()); }

// Top-level keys any frame kind reads. One pass over the payload records where each one's value
// is; the frame kind is known only once "type" has been seen, which may be anywhere.
enum Field : uint8_t {
  kType,
  kContractVersion,
  kEventId,
  kRunId,
  kTs,
  kPayload,
  kAttempt,
  kJobId,
  kParentRunId,
  kSeq,
  kArtifactId,
  kIsLast,
  kData,
  kWriteId,
  kFilename,
  kContentType,
  kOutcome,
  kProxyUsed,
  kFieldCount,
  kUnknownField = kFieldCount,
};

constexpr std::string_view kFieldNames[kFieldCount] = {
    "type",    "contract_version", "event_id",      "run_id",       "ts",          "payload",
    "attempt", "job_id",           "parent_run_id", "seq",          "artifact_id", "is_last",
    "data",    "write_id",         "filename",      "content_type", "outcome",     "proxy_used",
};

Field LookupField(std::string_view key) {
  auto is = [key](Field f) { return key == kFieldNames[f] ? f : kUnknownField; };
  switch (key.size()) {
    case 2:
      return is(kTs);
    case 3:
      return is(kSeq);
    case 4:
      return key[0] == 't' ? is(kType) : is(kData);
    case 6:
      return key[0] == 'r' ? is(kRunId) : is(kJobId);
    case 7:
      switch (key[0]) {
        case 'p':
          return is(kPayload);
        case 'a':
          return is(kAttempt);
        case 'i':
          return is(kIsLast);
        case 'o':
          return is(kOutcome);
        default:
          return kUnknownField;
      }
    case 8:
      switch (key[0]) {
        case 'e':
          return is(kEventId);
        case 'w':
          return is(kWriteId);
        case 'f':
          return is(kFilename);
        default:
          return kUnknownField;
      }
    case 10:
      return is(kProxyUsed);
    case 11:
      return is(kArtifactId);
    case 12:
      return is(kContentType);
    case 13:
      return is(kParentRunId);
    case 16:
      return is(kContractVersion);
    default:
      return kUnknownField;
  }
}

// Where one known field's value is.
struct Seen {
  Value value;     // header; for str/bin the body view
  uint32_t begin;  // extent of the whole value in the payload
  uint32_t end;
};

// A Seen that stays uninitialised until a field is found (tracked by a presence mask):
// default-constructing all of them per frame costs more than the lookups. Assigning the member
// starts its lifetime (Seen is trivially copyable).
union SeenSlot {
  SeenSlot() {}
  Seen seen;
};

// What one pass over the `payload` map learns (only needed for events).
struct PayloadInfo {
  uint32_t keys = 0;
  Value artifact_id = Value::Nil();  // kNil when absent
  Value name = Value::Nil();
  Value content_type = Value::Nil();
  Value size_bytes = Value::Nil();
};

// Reads one value, applying the payload rules to everything nested in it, and returns its
// header. Scalars are read once; containers and extensions are re-walked by the strict skip.
bool ReadStrict(Reader& r, Value* v, int max_depth) {
  const size_t start = r.offset();
  if (!r.Next(v)) return false;
  switch (v->type) {
    case Type::kArray:
    case Type::kMap:
    case Type::kExt:
      return r.SkipRestStrict(*v, start, max_depth);
    default:
      return true;
  }
}

std::string Quoted(std::string_view name) {
  std::string q = "\"";
  q += name;
  q += '"';
  return q;
}

Status Missing(std::string_view name) { return DecodeError("missing " + Quoted(name)); }

Status WrongType(std::string_view name, std::string_view want, const Value& got) {
  return DecodeError("field " + Quoted(name) + " must be " + std::string(want) + ", got " +
                     std::string(msgpack::TypeName(got.type)));
}

// Field accessors over one decoded map level. `base` is the start of the frame buffer, so that
// views can be turned into Slices.
class Fields {
 public:
  Fields(const char* base, const SeenSlot* seen, uint32_t present)
      : base_(base), seen_(seen), present_(present) {}

  bool Has(Field f) const { return (present_ >> f) & 1u; }

  Slice ToSlice(std::string_view v) const {
    return Slice{static_cast<uint32_t>(v.data() - base_), static_cast<uint32_t>(v.size())};
  }

  Status String(Field f, Slice* out) const {
    if (!Has(f)) return Missing(kFieldNames[f]);
    const Seen& s = seen_[f].seen;
    if (s.value.type != Type::kStr) return WrongType(kFieldNames[f], "a string", s.value);
    *out = ToSlice(s.value.bytes);
    return Status::Ok();
  }

  // Absent and nil both mean "not set".
  Status OptionalString(Field f, Slice* out, bool* has) const {
    const Seen& s = seen_[f].seen;
    *has = false;
    if (!Has(f) || s.value.type == Type::kNil) return Status::Ok();
    if (s.value.type != Type::kStr) return WrongType(kFieldNames[f], "a string", s.value);
    *out = ToSlice(s.value.bytes);
    *has = true;
    return Status::Ok();
  }

  Status Binary(Field f, Slice* out) const {
    if (!Has(f)) return Missing(kFieldNames[f]);
    const Seen& s = seen_[f].seen;
    if (s.value.type != Type::kBin) return WrongType(kFieldNames[f], "binary", s.value);
    *out = ToSlice(s.value.bytes);
    return Status::Ok();
  }

  Status Bool(Field f, bool* out) const {
    if (!Has(f)) return Missing(kFieldNames[f]);
    const Seen& s = seen_[f].seen;
    if (s.value.type != Type::kBool) return WrongType(kFieldNames[f], "a bool", s.value);
    *out = s.value.boolean;
    return Status::Ok();
  }

  Status Int64(Field f, int64_t* out) const {
    if (!Has(f)) return Missing(kFieldNames[f]);
    const Seen& s = seen_[f].seen;
    if (!s.value.IsInteger()) return WrongType(kFieldNames[f], "an integer", s.value);
    if (!s.value.ToInt64(out)) {
      return DecodeError("field " + Quoted(kFieldNames[f]) + " out of range (" +
                         std::to_string(s.value.uint_value) + ")");
    }
    return Status::Ok();
  }

  // Only valid when Has(f).
  const Seen& operator[](Field f) const { return seen_[f].seen; }

 private:
  const char* base_;
  const SeenSlot* seen_;
  uint32_t present_;
};

// Size of an artifact: any non-negative integer, or an integral float64 (JS numbers beyond
// 2^53 arrive as floats).
bool ArtifactSize(const Value& v, uint64_t* out) {
  if (v.ToUint64(out)) return true;
  if (v.IsFloat()) {
    const double d = v.float_value;
    if (d >= 0 && d < 18446744073709551616.0 && std::trunc(d) == d) {
      *out = static_cast<uint64_t>(d);
      return true;
    }
  }
  return false;
}

StatusOr<Frame> DecodeEvent(FrameBytes&& payload, const Fields& f, const PayloadInfo& info) {
  Event e;
  QUARRY_RETURN_IF_ERROR(f.String(kContractVersion, &e.contract_version));
  QUARRY_RETURN_IF_ERROR(f.String(kEventId, &e.event_id));
  QUARRY_RETURN_IF_ERROR(f.String(kRunId, &e.run_id));
  QUARRY_RETURN_IF_ERROR(f.Int64(kSeq, &e.seq));
  QUARRY_RETURN_IF_ERROR(f.String(kType, &e.type));
  QUARRY_RETURN_IF_ERROR(f.String(kTs, &e.ts));
  if (!f.Has(kPayload)) return Missing("payload");
  const Seen& p = f[kPayload];
  if (p.value.type != Type::kMap) return WrongType("payload", "a map", p.value);
  e.payload = Slice{p.begin, p.end - p.begin};
  e.payload_keys = info.keys;
  QUARRY_RETURN_IF_ERROR(f.Int64(kAttempt, &e.attempt));
  QUARRY_RETURN_IF_ERROR(f.OptionalString(kJobId, &e.job_id, &e.has_job_id));
  QUARRY_RETURN_IF_ERROR(f.OptionalString(kParentRunId, &e.parent_run_id, &e.has_parent_run_id));

  // Artifact payload fields are extracted, not judged: the runtime's artifact rules decide what
  // a missing or mistyped one means.
  if (View(*payload, e.type) == "artifact") {
    if (info.artifact_id.type == Type::kStr) {
      e.artifact_id = f.ToSlice(info.artifact_id.bytes);
      e.has_artifact_id = true;
    }
    if (info.name.type == Type::kStr) e.artifact_name = f.ToSlice(info.name.bytes);
    if (info.content_type.type == Type::kStr) {
      e.artifact_content_type = f.ToSlice(info.content_type.bytes);
    }
    e.has_artifact_size_bytes = ArtifactSize(info.size_bytes, &e.artifact_size_bytes);
  }
  e.raw = std::move(payload);
  return Frame(std::move(e));
}

StatusOr<Frame> DecodeChunk(FrameBytes&& payload, const Fields& f) {
  Chunk c;
  QUARRY_RETURN_IF_ERROR(f.String(kArtifactId, &c.artifact_id));
  QUARRY_RETURN_IF_ERROR(f.Int64(kSeq, &c.seq));
  QUARRY_RETURN_IF_ERROR(f.Bool(kIsLast, &c.is_last));
  QUARRY_RETURN_IF_ERROR(f.Binary(kData, &c.data));
  c.raw = std::move(payload);
  return Frame(std::move(c));
}

StatusOr<Frame> DecodeFileWrite(FrameBytes&& payload, const Fields& f) {
  FileWrite w;
  if (!f.Has(kWriteId)) return Missing("write_id");
  const Seen& id = f[kWriteId];
  if (!id.value.IsInteger()) return WrongType("write_id", "an integer", id.value);
  uint64_t write_id = 0;
  if (!id.value.ToUint64(&write_id) || write_id > std::numeric_limits<uint32_t>::max()) {
    return DecodeError("field \"write_id\" out of range (" +
                       (id.value.type == Type::kInt ? std::to_string(id.value.int_value)
                                                    : std::to_string(id.value.uint_value)) +
                       ")");
  }
  w.write_id = static_cast<uint32_t>(write_id);
  QUARRY_RETURN_IF_ERROR(f.String(kFilename, &w.filename));
  QUARRY_RETURN_IF_ERROR(f.String(kContentType, &w.content_type));
  QUARRY_RETURN_IF_ERROR(f.Binary(kData, &w.data));
  w.raw = std::move(payload);
  return Frame(std::move(w));
}

// Walks a nested map of the run_result frame (already validated by the strict pass), calling
// `on_field(key, value)` for each entry.
template <typename OnField>
Status WalkMap(std::string_view bytes, OnField on_field) {
  Reader r(bytes);
  Value m;
  if (!r.Next(&m)) return ReaderError(r);
  for (uint32_t i = 0; i < m.count; ++i) {
    Value k, v;
    if (!r.Next(&k)) return ReaderError(r);
    const size_t start = r.offset();
    if (!r.Next(&v)) return ReaderError(r);
    if (v.type == Type::kArray || v.type == Type::kMap) {
      r.Seek(start);
      if (!r.Skip()) return ReaderError(r);
    }
    QUARRY_RETURN_IF_ERROR(on_field(k.bytes, v));
  }
  return Status::Ok();
}

Status NullableString(std::string_view name, const Value& v, std::optional<std::string>* out) {
  if (v.type == Type::kNil) {
    out->reset();
    return Status::Ok();
  }
  if (v.type != Type::kStr) return WrongType(name, "a string or nil", v);
  *out = std::string(v.bytes);
  return Status::Ok();
}

StatusOr<Frame> DecodeRunResult(std::string_view buf, const Fields& f) {
  RunResultFrame rr;
  if (!f.Has(kOutcome)) return Missing("outcome");
  const Seen& outcome = f[kOutcome];
  if (outcome.value.type != Type::kMap) return WrongType("outcome", "a map", outcome.value);
  bool has_status = false;
  QUARRY_RETURN_IF_ERROR(WalkMap(buf.substr(outcome.begin, outcome.end - outcome.begin),
                                 [&](std::string_view key, const Value& v) -> Status {
                                   if (key == "status") {
                                     if (v.type != Type::kStr)
                                       return WrongType("outcome.status", "a string", v);
                                     rr.status = std::string(v.bytes);
                                     has_status = true;
                                   } else if (key == "message") {
                                     return NullableString("outcome.message", v, &rr.message);
                                   } else if (key == "error_type") {
                                     return NullableString("outcome.error_type", v, &rr.error_type);
                                   } else if (key == "stack") {
                                     return NullableString("outcome.stack", v, &rr.stack);
                                   }
                                   return Status::Ok();
                                 }));
  if (!has_status) return Missing("outcome.status");

  const Seen& proxy = f[kProxyUsed];
  if (f.Has(kProxyUsed) && proxy.value.type != Type::kNil) {
    if (proxy.value.type != Type::kMap) return WrongType("proxy_used", "a map or nil", proxy.value);
    bool has_protocol = false, has_host = false, has_port = false;
    QUARRY_RETURN_IF_ERROR(
        WalkMap(buf.substr(proxy.begin, proxy.end - proxy.begin),
                [&](std::string_view key, const Value& v) -> Status {
                  if (key == "protocol") {
                    if (v.type != Type::kStr)
                      return WrongType("proxy_used.protocol", "a string", v);
                    rr.proxy_protocol = std::string(v.bytes);
                    has_protocol = true;
                  } else if (key == "host") {
                    if (v.type != Type::kStr) return WrongType("proxy_used.host", "a string", v);
                    rr.proxy_host = std::string(v.bytes);
                    has_host = true;
                  } else if (key == "port") {
                    if (!v.IsInteger()) return WrongType("proxy_used.port", "an integer", v);
                    if (!v.ToInt64(&rr.proxy_port)) {
                      return DecodeError("field \"proxy_used.port\" out of range (" +
                                         std::to_string(v.uint_value) + ")");
                    }
                    has_port = true;
                  } else if (key == "username") {
                    return NullableString("proxy_used.username", v, &rr.proxy_username);
                  }
                  return Status::Ok();
                }));
    if (!has_protocol) return Missing("proxy_used.protocol");
    if (!has_host) return Missing("proxy_used.host");
    if (!has_port) return Missing("proxy_used.port");
    rr.has_proxy_used = true;
  }
  return Frame(std::move(rr));
}

// Opens the top-level map of a payload.
Status OpenPayloadMap(Reader& r, Value* top) {
  if (r.AtEnd()) return DecodeError("payload is empty (expected a msgpack map)");
  if (!r.Next(top)) return ReaderError(r);
  if (top->type != Type::kMap) {
    return DecodeError("payload is not a map (got " + std::string(msgpack::TypeName(top->type)) +
                       ")");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Frame> DecodeFrame(FrameBytes payload) {
  const std::string_view buf(*payload);
  Reader r(buf);
  Value top;
  QUARRY_RETURN_IF_ERROR(OpenPayloadMap(r, &top));

  // Levels: the frame map is 1, its values 2, the payload's values 3.
  constexpr int kValueDepth = msgpack::kMaxDepth - 1;
  constexpr int kPayloadValueDepth = msgpack::kMaxDepth - 2;

  SeenSlot seen[kFieldCount];
  uint32_t present = 0;
  PayloadInfo info;
  for (uint32_t i = 0; i < top.count; ++i) {
    Value key;
    if (!r.Next(&key)) return ReaderError(r);
    if (key.type != Type::kStr) return DecodeError("map key must be a string");
    const Field field = LookupField(key.bytes);
    const size_t begin = r.offset();
    Value v;
    if (field == kPayload) {
      // Walked here rather than skipped so the event needs no second pass: count the keys and
      // note the artifact fields while validating.
      if (!r.Next(&v)) return ReaderError(r);
      if (v.type == Type::kMap) {
        info = PayloadInfo{};
        info.keys = v.count;
        for (uint32_t j = 0; j < v.count; ++j) {
          Value pk, pv;
          if (!r.Next(&pk)) return ReaderError(r);
          if (pk.type != Type::kStr) return DecodeError("map key must be a string");
          if (!ReadStrict(r, &pv, kPayloadValueDepth)) return ReaderError(r);
          if (pk.bytes == "artifact_id") {
            info.artifact_id = pv;
          } else if (pk.bytes == "name") {
            info.name = pv;
          } else if (pk.bytes == "content_type") {
            info.content_type = pv;
          } else if (pk.bytes == "size_bytes") {
            info.size_bytes = pv;
          }
        }
      } else {
        r.Seek(begin);
        if (!ReadStrict(r, &v, kValueDepth)) return ReaderError(r);
      }
    } else if (!ReadStrict(r, &v, kValueDepth)) {
      return ReaderError(r);
    }
    if (field != kUnknownField) {
      // A repeated key keeps its last value, like every map decoder the executor could target.
      seen[field].seen = Seen{v, static_cast<uint32_t>(begin), static_cast<uint32_t>(r.offset())};
      present |= 1u << field;
    }
  }
  if (!r.AtEnd()) {
    return DecodeError(std::to_string(r.remaining()) + " trailing bytes after the payload map");
  }

  const Fields fields(buf.data(), seen, present);
  if (!fields.Has(kType)) return Missing("type");
  const Seen& type = fields[kType];
  if (type.value.type != Type::kStr) return WrongType("type", "a string", type.value);
  const std::string_view kind = type.value.bytes;
  if (kind == kTypeArtifactChunk) return DecodeChunk(std::move(payload), fields);
  if (kind == kTypeFileWrite) return DecodeFileWrite(std::move(payload), fields);
  if (kind == kTypeRunResult) return DecodeRunResult(buf, fields);
  if (kind == kTypeFileWriteAck) {
    return DecodeError("unexpected frame kind \"file_write_ack\" on the executor's stdout");
  }
  return DecodeEvent(std::move(payload), fields, info);
}

StatusOr<std::string_view> ProbeType(std::string_view payload) {
  Reader r(payload);
  Value top;
  QUARRY_RETURN_IF_ERROR(OpenPayloadMap(r, &top));
  for (uint32_t i = 0; i < top.count; ++i) {
    Value key;
    if (!r.Next(&key)) return ReaderError(r);
    if (key.type != Type::kStr) return DecodeError("map key must be a string");
    if (key.bytes == "type") {
      Value v;
      if (!r.Next(&v)) return ReaderError(r);
      if (v.type != Type::kStr) return WrongType("type", "a string", v);
      return v.bytes;
    }
    if (!r.Skip()) return ReaderError(r);
  }
  return Missing("type");
}

std::string EncodeFileWriteAck(uint32_t write_id, bool ok, std::string_view error) {
  auto put_be = [](std::string* s, uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto put_str = [&put_be](std::string* s, std::string_view v) {
    const size_t n = v.size();
    if (n <= 31) {
      s->push_back(static_cast<char>(0xa0 | n));
    } else if (n <= 0xff) {
      s->push_back(static_cast<char>(0xd9));
      put_be(s, n, 1);
    } else if (n <= 0xffff) {
      s->push_back(static_cast<char>(0xda));
      put_be(s, n, 2);
    } else {
      s->push_back(static_cast<char>(0xdb));
      put_be(s, n, 4);
    }
    s->append(v);
  };
  std::string out(kLengthPrefixSize, '\0');
  out.push_back(static_cast<char>(ok ? 0x83 : 0x84));
  put_str(&out, "type");
  put_str(&out, kTypeFileWriteAck);
  put_str(&out, "write_id");
  out.push_back(static_cast<char>(0xce));  // always uint32, whatever the value (§5.2)
  put_be(&out, write_id, 4);
  put_str(&out, "ok");
  out.push_back(static_cast<char>(ok ? 0xc3 : 0xc2));
  if (!ok) {
    put_str(&out, "error");
    put_str(&out, error);
  }
  const uint64_t len = out.size() - kLengthPrefixSize;
  for (size_t i = 0; i < kLengthPrefixSize; ++i) {
    out[i] = static_cast<char>((len >> (8 * (kLengthPrefixSize - 1 - i))) & 0xff);
  }
  return out;
}

bool ContractVersionAccepted(std::string_view version) {
  // The first two dot-separated components must be exactly "0" and "13"; whatever follows
  // (patch, pre-release text) is not inspected.
  const size_t dot = version.find('.');
  if (dot == std::string_view::npos || version.substr(0, dot) != "0") return false;
  const std::string_view rest = version.substr(dot + 1);
  return rest.substr(0, rest.find('.')) == "13";
}

}  // namespace quarry::ipc
