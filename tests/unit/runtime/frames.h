// Builds executor frame payloads with msgpack-cxx for runtime tests.
#pragma once

#include <msgpack.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "quarry/event.h"

namespace quarry::testing {

// A msgpack value assembled from a lambda that packs into a packer.
using Packer = msgpack::packer<msgpack::sbuffer>;

inline FrameBytes Bytes(const msgpack::sbuffer& buf) {
  return std::make_shared<const std::string>(buf.data(), buf.size());
}

struct EnvelopeSpec {
  std::string type;
  int64_t seq;
  std::string run_id;
  int64_t attempt;
  std::string contract_version;
  // Packs the payload map; default: {item_type: "t", data: {}}.
  std::function<void(Packer&)> payload;
};

inline FrameBytes Envelope(const EnvelopeSpec& s);

inline FrameBytes Envelope(std::string type, int64_t seq, std::string run_id = "run-1",
                           int64_t attempt = 1, std::string version = "0.13.4",
                           std::function<void(Packer&)> payload = {}) {
  return Envelope(EnvelopeSpec{std::move(type), seq, std::move(run_id), attempt, std::move(version),
                               std::move(payload)});
}

inline FrameBytes Envelope(const EnvelopeSpec& s) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(8);
  pk.pack("contract_version");
  pk.pack(s.contract_version);
  pk.pack("event_id");
  pk.pack("5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c01");
  pk.pack("run_id");
  pk.pack(s.run_id);
  pk.pack("type");
  pk.pack(s.type);
  pk.pack("ts");
  pk.pack("2026-03-22T09:15:00.120Z");
  pk.pack("payload");
  if (s.payload) {
    s.payload(pk);
  } else {
    pk.pack_map(2);
    pk.pack("item_type");
    pk.pack("t");
    pk.pack("data");
    pk.pack_map(0);
  }
  pk.pack("attempt");
  pk.pack(s.attempt);
  pk.pack("seq");
  pk.pack(s.seq);
  return Bytes(buf);
}

inline FrameBytes ArtifactCommit(int64_t seq, const std::string& id, int64_t size) {
  return Envelope("artifact", seq, "run-1", 1, "0.13.4", [&](Packer& pk) {
    pk.pack_map(4);
    pk.pack("artifact_id");
    pk.pack(id);
    pk.pack("name");
    pk.pack("a.bin");
    pk.pack("content_type");
    pk.pack("application/octet-stream");
    pk.pack("size_bytes");
    pk.pack(size);
  });
}

inline FrameBytes ChunkFrame(const std::string& id, int64_t seq, bool is_last,
                             const std::string& data) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(5);
  pk.pack("type");
  pk.pack("artifact_chunk");
  pk.pack("artifact_id");
  pk.pack(id);
  pk.pack("seq");
  pk.pack(seq);
  pk.pack("is_last");
  pk.pack(is_last);
  pk.pack("data");
  pk.pack_bin(static_cast<uint32_t>(data.size()));
  pk.pack_bin_body(data.data(), static_cast<uint32_t>(data.size()));
  return Bytes(buf);
}

inline FrameBytes FileWriteFrame(uint32_t write_id, const std::string& filename,
                                 const std::string& data) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(5);
  pk.pack("type");
  pk.pack("file_write");
  pk.pack("write_id");
  pk.pack(write_id);
  pk.pack("filename");
  pk.pack(filename);
  pk.pack("content_type");
  pk.pack("text/plain");
  pk.pack("data");
  pk.pack_bin(static_cast<uint32_t>(data.size()));
  pk.pack_bin_body(data.data(), static_cast<uint32_t>(data.size()));
  return Bytes(buf);
}

}  // namespace quarry::testing
