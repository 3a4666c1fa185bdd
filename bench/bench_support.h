// Shared pieces of the micro-benchmarks: decoded fixtures, a sink that discards, and the memcpy
// baseline every figure is reported against (ratios, not absolute times, compare across machines).
#pragma once

#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <variant>

#include "frame_builder.h"
#include "quarry/event.h"
#include "quarry/ipc/codec.h"
#include "quarry/sink.h"

namespace quarry::bench {

inline constexpr std::string_view kRunId = "bench-run";

// Payload bytes (no length prefix) of a whole frame from FrameBuilder.
inline FrameBytes PayloadOf(const std::string& frame) {
  return std::make_shared<const std::string>(frame.substr(4));
}

inline Event DecodedItem(size_t payload_bytes = 200, std::string_view type = "item") {
  auto frame =
      ipc::DecodeFrame(PayloadOf(FrameBuilder::ItemFrame(kRunId, 1, type, 1, payload_bytes)));
  return std::get<Event>(std::move(frame).value());
}

inline Chunk DecodedChunk(size_t data_bytes = 4096) {
  auto frame = ipc::DecodeFrame(
      PayloadOf(FrameBuilder::ChunkFrame("art-1", 1, false, std::string(data_bytes, 'c'))));
  return std::get<Chunk>(std::move(frame).value());
}

class NullSink final : public BatchSink {
 public:
  Status WriteEvents(std::span<const Event> events) override {
    written_ += events.size();
    return Status::Ok();
  }
  Status WriteChunks(std::span<const Chunk> chunks) override {
    written_ += chunks.size();
    return Status::Ok();
  }
  uint64_t written() const { return written_; }

 private:
  uint64_t written_ = 0;
};

}  // namespace quarry::bench
