// Frame reader, frame decoder and ack encoder for the executor pipe. Format: frame_format.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "quarry/event.h"
#include "quarry/ipc/frame_format.h"
#include "quarry/status.h"

namespace quarry::ipc {

// Splits a byte stream into frame payloads. Not thread-safe.
//
// Each payload is copied exactly once, from the read buffer into its own FrameBytes (large
// payloads are read straight into it). A prefix above kMaxPayloadSize is refused before any
// payload byte is read or allocated.
class FrameReader {
 public:
  FrameReader();

  // Reads whatever is available from `fd` (one read(2) call). Returns the byte count, 0 at EOF.
  // EAGAIN/EINTR are returned as 0 bytes with `*would_block = true`.
  StatusOr<size_t> ReadFrom(int fd, bool* would_block);

  // Appends bytes (tests and in-memory streams).
  void Feed(std::string_view bytes);

  // The next complete payload, std::nullopt when more bytes are needed, or an error
  // ("frame too large: length prefix N exceeds 16777212") that is final for the stream.
  StatusOr<std::optional<FrameBytes>> Next();

  // After EOF: OK at a frame boundary, else a DataLoss error describing the truncation
  // ("truncated frame: got 2 of 4 length-prefix bytes" / "truncated frame: got X of Y payload
  // bytes").
  Status Finish() const;

  uint64_t frames_read() const { return frames_read_; }

 private:
  // Unread stream bytes are buf_[begin_, end_). A plain array rather than a std::string so that
  // making room for a read(2) does not zero-fill it first.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  std::optional<uint32_t> pending_len_;   // prefix already parsed, payload incomplete
  std::shared_ptr<std::string> pending_;  // a large payload being filled in place
  size_t pending_filled_ = 0;             // bytes of pending_ already received
  Status error_;                          // sticky: the stream is unusable after it
  uint64_t frames_read_ = 0;

  void MakeRoom(size_t n);
  void Append(const char* data, size_t n);
};

// A decoded frame. Events, chunks and file writes keep `payload` alive through their FrameBytes.
using Frame = std::variant<Event, Chunk, FileWrite, RunResultFrame>;

// Decodes one payload. Every failure is a decode error in the contract's sense (§16.2): not
// msgpack, not a map, missing/non-string `type`, a non-string map key or an extension type other
// than the timestamp (-1) anywhere, trailing bytes, wrong field types, a `file_write_ack` on
// stdout. Messages name the offending field: "decode error: field \"seq\" must be an integer".
// Envelope semantics (version, run_id, seq, artifact rules) are NOT checked here.
StatusOr<Frame> DecodeFrame(FrameBytes payload);

// Reads only the top-level "type" of a payload without decoding the rest (§6.1 type probe).
StatusOr<std::string_view> ProbeType(std::string_view payload);

// The exact bytes (prefix included) of a file_write_ack frame (§5.2, §6.5).
std::string EncodeFileWriteAck(uint32_t write_id, bool ok, std::string_view error);

// D1: true when `version` has major.minor exactly "0" and "13".
bool ContractVersionAccepted(std::string_view version);

}  // namespace quarry::ipc
