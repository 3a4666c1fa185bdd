// Builders for Events and Chunks as the IPC decoder would produce them: one owned msgpack
// buffer per frame, fields as Slices into it.
#pragma once

#include <msgpack.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "quarry/event.h"

namespace quarry::lode::testing {

using Packer = msgpack::packer<msgpack::sbuffer>;

// msgpack bytes produced by `fn`.
inline std::string Pack(const std::function<void(Packer&)>& fn) {
  msgpack::sbuffer buf;
  Packer p(&buf);
  fn(p);
  return std::string(buf.data(), buf.size());
}

inline void PackStr(Packer& p, std::string_view s) {
  p.pack_str(static_cast<uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

struct EventSpec {
  std::string contract_version = "0.13.4";
  std::string event_id = "00000000-0000-4000-8000-000000000000";
  std::string run_id = "run-001";
  std::string type = "item";
  std::string ts = "2026-03-22T09:15:00.000Z";
  int64_t seq = 1;
  int64_t attempt = 1;
  std::optional<std::string> job_id;
  std::optional<std::string> parent_run_id;
  std::string payload = std::string(1, '\x80');  // msgpack of the payload map; default {}
  // For type "artifact": the fields the decoder extracts from the payload.
  std::optional<std::string> artifact_id;
  std::string artifact_name;
  std::string artifact_content_type;
  std::optional<uint64_t> artifact_size_bytes;
};

namespace detail {

// Packs a string value and returns the Slice of its bytes inside `buf`.
inline Slice StrValue(Packer& p, msgpack::sbuffer& buf, std::string_view s) {
  PackStr(p, s);
  return Slice{static_cast<uint32_t>(buf.size() - s.size()), static_cast<uint32_t>(s.size())};
}

}  // namespace detail

inline Event MakeEvent(const EventSpec& spec) {
  msgpack::sbuffer buf;
  Packer p(&buf);
  Event ev;
  uint32_t keys = 8 + (spec.job_id ? 1 : 0) + (spec.parent_run_id ? 1 : 0);
  p.pack_map(keys);
  PackStr(p, "contract_version");
  ev.contract_version = detail::StrValue(p, buf, spec.contract_version);
  PackStr(p, "event_id");
  ev.event_id = detail::StrValue(p, buf, spec.event_id);
  PackStr(p, "run_id");
  ev.run_id = detail::StrValue(p, buf, spec.run_id);
  PackStr(p, "type");
  ev.type = detail::StrValue(p, buf, spec.type);
  PackStr(p, "ts");
  ev.ts = detail::StrValue(p, buf, spec.ts);
  PackStr(p, "payload");
  if (spec.type == "artifact") {
    // Packed here (not from spec.payload) so the artifact fields can point into it.
    uint32_t n = (spec.artifact_id ? 1 : 0) + 2 + (spec.artifact_size_bytes ? 1 : 0);
    const size_t start = buf.size();
    p.pack_map(n);
    if (spec.artifact_id) {
      PackStr(p, "artifact_id");
      ev.artifact_id = detail::StrValue(p, buf, *spec.artifact_id);
      ev.has_artifact_id = true;
    }
    PackStr(p, "name");
    ev.artifact_name = detail::StrValue(p, buf, spec.artifact_name);
    PackStr(p, "content_type");
    ev.artifact_content_type = detail::StrValue(p, buf, spec.artifact_content_type);
    if (spec.artifact_size_bytes) {
      PackStr(p, "size_bytes");
      p.pack_uint64(*spec.artifact_size_bytes);
      ev.artifact_size_bytes = *spec.artifact_size_bytes;
      ev.has_artifact_size_bytes = true;
    }
    ev.payload = Slice{static_cast<uint32_t>(start), static_cast<uint32_t>(buf.size() - start)};
    ev.payload_keys = n;
  } else {
    const size_t start = buf.size();
    buf.write(spec.payload.data(), spec.payload.size());
    ev.payload = Slice{static_cast<uint32_t>(start), static_cast<uint32_t>(spec.payload.size())};
  }
  PackStr(p, "attempt");
  p.pack_int64(spec.attempt);
  ev.attempt = spec.attempt;
  if (spec.job_id) {
    PackStr(p, "job_id");
    ev.job_id = detail::StrValue(p, buf, *spec.job_id);
    ev.has_job_id = true;
  }
  if (spec.parent_run_id) {
    PackStr(p, "parent_run_id");
    ev.parent_run_id = detail::StrValue(p, buf, *spec.parent_run_id);
    ev.has_parent_run_id = true;
  }
  PackStr(p, "seq");
  p.pack_int64(spec.seq);
  ev.seq = spec.seq;
  ev.raw = std::make_shared<const std::string>(buf.data(), buf.size());
  return ev;
}

inline Chunk MakeChunk(std::string_view artifact_id, int64_t seq, bool is_last, uint64_t offset,
                       std::string_view data) {
  msgpack::sbuffer buf;
  Packer p(&buf);
  Chunk c;
  p.pack_map(5);
  PackStr(p, "type");
  PackStr(p, "artifact_chunk");
  PackStr(p, "artifact_id");
  c.artifact_id = detail::StrValue(p, buf, artifact_id);
  PackStr(p, "seq");
  p.pack_int64(seq);
  PackStr(p, "is_last");
  p.pack(is_last);
  PackStr(p, "data");
  p.pack_bin(static_cast<uint32_t>(data.size()));
  p.pack_bin_body(data.data(), static_cast<uint32_t>(data.size()));
  c.data =
      Slice{static_cast<uint32_t>(buf.size() - data.size()), static_cast<uint32_t>(data.size())};
  c.seq = seq;
  c.is_last = is_last;
  c.offset = offset;
  c.raw = std::make_shared<const std::string>(buf.data(), buf.size());
  return c;
}

}  // namespace quarry::lode::testing
