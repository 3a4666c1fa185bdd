// Canonical JSON as stored in Lode JSONL files (storage-and-policies.md §4.8): keys sorted by
// byte order at every level, compact, Go-compatible string escaping (<, >, & as \u003c..., U+2028/9
// escaped, invalid UTF-8 -> \ufffd), shortest round-trip floats in Go/ES notation, msgpack bin as
// standard base64, timestamp extension -1 as RFC 3339 UTC with up to 9 fraction digits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quarry/status.h"

namespace quarry::json {

// Appends `s` as a JSON string literal (with quotes).
void AppendString(std::string_view s, std::string* out);

// Whether `s` is well-formed UTF-8 (what AppendString copies without a single \ufffd).
bool IsValidUtf8(std::string_view s);

// `s` for an error message or a log line: invalid UTF-8 and control bytes become \xNN, so the
// text is one printable line that still tells distinct byte strings apart.
void AppendPrintable(std::string_view s, std::string* out);
std::string Printable(std::string_view s);

// Appends a float64 in the canonical notation. Precondition: finite.
void AppendDouble(double v, std::string* out);

// Transcodes one msgpack value (the whole of `msgpack`) to canonical JSON. Fails on NaN/Infinity
// with "non-finite number at <path>" where path is like "payload.data.price" or
// "payload.tags[1]" (`path` is the prefix), and likewise names the place of a non-string map key,
// a map key that is not valid UTF-8 (distinct keys would all become "\ufffd..." and collide;
// the path shows such bytes, and control bytes, as \xNN so the message stays one printable line),
// an extension other than the timestamp, a timestamp outside years 0-9999, malformed msgpack or
// trailing bytes. On failure `out` is left as it was. Float32 values print with float32
// precision (as Go does); repeated map keys keep their last value.
Status AppendMsgpackAsJson(std::string_view msgpack, std::string_view path, std::string* out);

// An upper bound of the number of bytes AppendMsgpackAsJson appends for `msgpack`, found without
// producing the text, when it certainly succeeds; nullopt when it might fail (call it to find
// out). Lets a caller that only needs "storable, and not too long" skip the encoding.
std::optional<size_t> MsgpackAsJsonSizeBound(std::string_view msgpack);

// Builds one JSON object with keys emitted in sorted byte order, whatever the Add order.
// Values are raw JSON text supplied by the caller. Adding a key again replaces its value.
class ObjectBuilder {
 public:
  ObjectBuilder& AddRaw(std::string_view key, std::string value_json);
  ObjectBuilder& AddString(std::string_view key, std::string_view value);
  ObjectBuilder& AddInt(std::string_view key, int64_t value);
  ObjectBuilder& AddUint(std::string_view key, uint64_t value);
  ObjectBuilder& AddBool(std::string_view key, bool value);
  // Appends the object to `out`.
  void AppendTo(std::string* out) const;
  std::string Build() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Standard base64 with padding.
void AppendBase64(std::string_view bytes, std::string* out);

}  // namespace quarry::json
