// Executor-side frame encoding for the benchmarks and the synthetic executor: the SDK's envelope
// layout (executor-contract.md §5.1, §9) written with fixed-width seq and event_id fields, so one
// encoded frame serves as a template whose seq can be rewritten in place without re-encoding.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace quarry::bench {

class FrameBuilder {
 public:
  // The whole length-prefixed frame of an event whose payload is {item_type, data: {blob}} and
  // whose msgpack payload (without the 4-byte prefix) is `frame_bytes` long when that is
  // reachable (>= ~190 bytes); otherwise as small as possible.
  static std::string ItemFrame(std::string_view run_id, int64_t attempt, std::string_view type,
                               uint32_t seq, size_t frame_bytes) {
    std::string head = EnvelopeUpToPayload(run_id, type, seq);
    std::string tail;
    Str(&tail, "attempt");
    Uint32(&tail, static_cast<uint32_t>(attempt));
    Str(&tail, "seq");
    Uint32(&tail, seq);
    // payload = {"item_type": "product", "data": {"blob": <filler>}}
    std::string payload_fixed;
    payload_fixed += '\x82';
    Str(&payload_fixed, "item_type");
    Str(&payload_fixed, "product");
    Str(&payload_fixed, "data");
    payload_fixed += '\x81';
    Str(&payload_fixed, "blob");
    const size_t fixed = head.size() + payload_fixed.size() + tail.size();
    size_t filler = 0;
    // str8 header (2 bytes) for fillers up to 255, str16 (3 bytes) beyond.
    if (frame_bytes > fixed + 2) filler = frame_bytes - fixed - 2;
    if (filler > 255) filler = frame_bytes > fixed + 3 ? frame_bytes - fixed - 3 : 0;
    std::string payload = head + payload_fixed;
    Str8Or16(&payload, std::string(filler, 'x'));
    payload += tail;
    return Prefixed(payload);
  }

  // A terminal or other event with an empty payload map.
  static std::string EmptyEventFrame(std::string_view run_id, int64_t attempt,
                                     std::string_view type, uint32_t seq) {
    std::string payload = EnvelopeUpToPayload(run_id, type, seq);
    payload += '\x80';
    Str(&payload, "attempt");
    Uint32(&payload, static_cast<uint32_t>(attempt));
    Str(&payload, "seq");
    Uint32(&payload, seq);
    return Prefixed(payload);
  }

  static std::string ChunkFrame(std::string_view artifact_id, uint32_t seq, bool is_last,
                                std::string_view data) {
    std::string p;
    p += '\x85';
    Str(&p, "type");
    Str(&p, "artifact_chunk");
    Str(&p, "artifact_id");
    Str(&p, artifact_id);
    Str(&p, "seq");
    Uint32(&p, seq);
    Str(&p, "is_last");
    p += is_last ? '\xc3' : '\xc2';
    Str(&p, "data");
    p += '\xc6';  // bin32
    BigEndian(&p, static_cast<uint32_t>(data.size()));
    p.append(data);
    return Prefixed(p);
  }

  // executor-contract.md §6.4 example: run_result {status: completed, message: "run completed"}.
  static std::string RunResultFrame() {
    std::string p;
    p += '\x82';
    Str(&p, "type");
    Str(&p, "run_result");
    Str(&p, "outcome");
    p += '\x82';
    Str(&p, "status");
    Str(&p, "completed");
    Str(&p, "message");
    Str(&p, "run completed");
    return Prefixed(p);
  }

  // Rewrites seq (and the event_id digits derived from it) of a frame made by ItemFrame or
  // EmptyEventFrame. The frame's bytes stay the same length.
  static void SetSeq(std::string* frame, uint32_t seq) {
    char* f = frame->data();
    // The last 5 bytes are the uint32 seq; event_id's last 10 characters are the decimal seq.
    WriteBigEndian(f + frame->size() - 4, seq);
    const size_t id_pos = frame->find(kEventIdKey);
    char* digits = f + id_pos + kEventIdKey.size() + 2 + kUuidPrefix.size();  // str8 header
    WriteDigits(digits, seq);
  }

 private:
  static constexpr std::string_view kEventIdKey =
      "\xa8"
      "event_id";
  static constexpr std::string_view kUuidPrefix = "00000000-0000-4000-8000-00";  // + 10 digits

  static std::string EnvelopeUpToPayload(std::string_view run_id, std::string_view type,
                                         uint32_t seq) {
    std::string p;
    p += '\x88';
    Str(&p, "contract_version");
    Str(&p, "0.13.4");
    p += kEventIdKey;
    std::string id(kUuidPrefix);
    id.append(10, '0');
    WriteDigits(id.data() + kUuidPrefix.size(), seq);
    Str(&p, id);
    Str(&p, "run_id");
    Str(&p, run_id);
    Str(&p, "type");
    Str(&p, type);
    Str(&p, "ts");
    Str(&p, "2026-03-22T09:15:00.120Z");
    Str(&p, "payload");
    return p;
  }

  static void WriteDigits(char* at, uint32_t v) {
    for (int i = 9; i >= 0; --i, v /= 10) at[i] = static_cast<char>('0' + v % 10);
  }
  static void WriteBigEndian(char* at, uint32_t v) {
    at[0] = static_cast<char>(v >> 24);
    at[1] = static_cast<char>(v >> 16);
    at[2] = static_cast<char>(v >> 8);
    at[3] = static_cast<char>(v);
  }
  static void BigEndian(std::string* out, uint32_t v) {
    char b[4];
    WriteBigEndian(b, v);
    out->append(b, 4);
  }
  static void Uint32(std::string* out, uint32_t v) {
    *out += '\xce';
    BigEndian(out, v);
  }
  static void Str(std::string* out, std::string_view s) {
    if (s.size() <= 31) {
      *out += static_cast<char>(0xa0 | s.size());
    } else {
      Str8Or16Header(out, s.size());
    }
    out->append(s);
  }
  static void Str8Or16Header(std::string* out, size_t n) {
    if (n <= 255) {
      *out += '\xd9';
      *out += static_cast<char>(n);
    } else {
      *out += '\xda';
      *out += static_cast<char>(n >> 8);
      *out += static_cast<char>(n);
    }
  }
  static void Str8Or16(std::string* out, std::string_view s) {
    Str8Or16Header(out, s.size());
    out->append(s);
  }
  static std::string Prefixed(const std::string& payload) {
    std::string out;
    BigEndian(&out, static_cast<uint32_t>(payload.size()));
    return out + payload;
  }
};

}  // namespace quarry::bench
