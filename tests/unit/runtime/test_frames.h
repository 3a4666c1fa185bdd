// Events and chunks for policy tests, made the way the runtime makes them: msgpack frame payloads
// (as the SDK encodes them) decoded by ipc::DecodeFrame, so the policies see real Slices and sizes.
#pragma once

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "quarry/event.h"
#include "quarry/ipc/codec.h"

namespace quarry::policy_testing {

inline constexpr std::string_view kRunId = "run-1";

namespace detail {

using Packer = msgpack::packer<msgpack::sbuffer>;

inline void Str(Packer& p, std::string_view s) {
  p.pack_str(static_cast<uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

}  // namespace detail

// An event frame payload around a payload map written by `pack_payload`.
inline std::string EnvelopePayload(std::string_view type, int64_t seq,
                                   const std::function<void(detail::Packer&)>& pack_payload,
                                   std::string_view run_id = kRunId) {
  msgpack::sbuffer buf;
  detail::Packer p(&buf);
  p.pack_map(8);
  detail::Str(p, "contract_version");
  detail::Str(p, "0.13.4");
  detail::Str(p, "event_id");
  detail::Str(p, "00000000-0000-4000-8000-" + std::to_string(1000000000000 + seq));
  detail::Str(p, "run_id");
  detail::Str(p, run_id);
  detail::Str(p, "type");
  detail::Str(p, type);
  detail::Str(p, "ts");
  detail::Str(p, "2026-03-22T09:15:00.000Z");
  detail::Str(p, "payload");
  pack_payload(p);
  detail::Str(p, "attempt");
  p.pack_int64(1);
  detail::Str(p, "seq");
  p.pack_int64(seq);
  return std::string(buf.data(), buf.size());
}

// The payload map has `payload_keys` entries (so the policy size estimate is
// 200 + 50 x payload_keys); the first one carries `filler` bytes when asked.
inline std::string EventPayload(std::string_view type, int64_t seq, uint32_t payload_keys = 2,
                                size_t filler = 0, std::string_view run_id = kRunId) {
  return EnvelopePayload(
      type, seq,
      [&](detail::Packer& p) {
        p.pack_map(payload_keys);
        for (uint32_t k = 0; k < payload_keys; ++k) {
          detail::Str(p, "k" + std::to_string(k));
          if (k == 0 && filler > 0) {
            detail::Str(p, std::string(filler, 'x'));
          } else {
            p.pack_uint32(k);
          }
        }
      },
      run_id);
}

// The `artifact` commit event for an artifact of `size` bytes.
inline std::string ArtifactEventPayload(int64_t seq, std::string_view artifact_id, uint64_t size) {
  return EnvelopePayload("artifact", seq, [&](detail::Packer& p) {
    p.pack_map(4);
    detail::Str(p, "artifact_id");
    detail::Str(p, artifact_id);
    detail::Str(p, "name");
    detail::Str(p, "shot.png");
    detail::Str(p, "content_type");
    detail::Str(p, "image/png");
    detail::Str(p, "size_bytes");
    p.pack_uint64(size);
  });
}

inline std::string ChunkPayload(std::string_view artifact_id, int64_t seq, std::string_view data,
                                bool is_last) {
  msgpack::sbuffer buf;
  detail::Packer p(&buf);
  p.pack_map(5);
  detail::Str(p, "type");
  detail::Str(p, "artifact_chunk");
  detail::Str(p, "artifact_id");
  detail::Str(p, artifact_id);
  detail::Str(p, "seq");
  p.pack_int64(seq);
  detail::Str(p, "is_last");
  p.pack(is_last);
  detail::Str(p, "data");
  p.pack_bin(static_cast<uint32_t>(data.size()));
  p.pack_bin_body(data.data(), static_cast<uint32_t>(data.size()));
  return std::string(buf.data(), buf.size());
}

// The payload with its 4-byte big-endian length prefix, as an executor writes it.
inline std::string Framed(const std::string& payload) {
  const uint32_t n = static_cast<uint32_t>(payload.size());
  std::string out = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
  return out + payload;
}

inline ipc::Frame Decode(std::string payload) {
  auto frame = ipc::DecodeFrame(std::make_shared<const std::string>(std::move(payload)));
  EXPECT_TRUE(frame.ok()) << frame.status().message();
  if (!frame.ok()) return Event{};
  return std::move(frame).value();
}

inline Event EventFrom(std::string payload) {
  ipc::Frame f = Decode(std::move(payload));
  EXPECT_TRUE(std::holds_alternative<Event>(f));
  return std::holds_alternative<Event>(f) ? std::get<Event>(std::move(f)) : Event{};
}

inline Event MakeEvent(std::string_view type, int64_t seq, uint32_t payload_keys = 2,
                       size_t filler = 0) {
  return EventFrom(EventPayload(type, seq, payload_keys, filler));
}

// `offset` is what the runtime's artifact accumulator would have assigned.
inline Chunk MakeChunk(std::string_view artifact_id, int64_t seq, std::string_view data,
                       bool is_last = false, uint64_t offset = 0) {
  ipc::Frame f = Decode(ChunkPayload(artifact_id, seq, data, is_last));
  EXPECT_TRUE(std::holds_alternative<Chunk>(f));
  if (!std::holds_alternative<Chunk>(f)) return Chunk{};
  Chunk c = std::get<Chunk>(std::move(f));
  c.offset = offset;
  return c;
}

// A chunk too large for any frame (> 16 MiB), built directly around its bytes: the policy contract
// still has to cope with such sizes (an item larger than the streaming byte cap).
inline Chunk MakeHugeChunk(std::string_view artifact_id, size_t size) {
  auto raw = std::make_shared<std::string>(artifact_id);
  raw->append(size, 'z');
  Chunk c;
  c.artifact_id = Slice{0, static_cast<uint32_t>(artifact_id.size())};
  c.data = Slice{static_cast<uint32_t>(artifact_id.size()), static_cast<uint32_t>(size)};
  c.seq = 1;
  c.is_last = true;
  c.raw = std::move(raw);
  return c;
}

}  // namespace quarry::policy_testing
