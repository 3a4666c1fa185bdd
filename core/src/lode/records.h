// JSONL lines of the record kinds Quarry stores (storage-and-policies.md §4.8, §4.9).
//
// Keys are emitted in their sorted byte order directly instead of through a generic sorted-object
// builder: the key sets are fixed and this is the hot path of every strict-policy event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "quarry/event.h"
#include "quarry/status.h"

namespace quarry::lode {

struct RunDescriptor;

// Readers refuse longer lines (§4.8); the limit includes the LF.
inline constexpr size_t kMaxLineBytes = 10485760;
// Artifact chunks are stored in pieces of at most this many raw bytes (§4.9).
inline constexpr size_t kMaxPieceBytes = 6291456;

// Run-level values as ready JSON string literals, computed once per writer.
struct RecordContext {
  explicit RecordContext(const RunDescriptor& run);
  std::string category;
  std::string day;
  std::string policy;
  std::string run_id;
  std::string source;
  // Bytes of the five literals together.
  size_t Size() const;
};

// Appends one `event` (or, for type "artifact", `artifact_event`) line including its LF. On error
// `out` may hold a partial line; the message names the seq, the type and the field path.
Status AppendEventLine(const Event& ev, const RecordContext& ctx, std::string* out);

// An upper bound of the length of the line AppendEventLine writes for `ev`, when it certainly
// succeeds; nullopt when it might fail (an unstorable payload) and must be tried.
std::optional<size_t> EventLineSizeBound(const Event& ev, const RecordContext& ctx);

// Appends one `artifact_chunk` piece line including its LF.
void AppendChunkPieceLine(const RecordContext& ctx, std::string_view artifact_id, int64_t seq,
                          bool is_last, uint64_t offset, std::string_view data, std::string* out);

// "event seq <n> (<type>) encodes to <N> bytes; stored lines are limited to 10485760 bytes"
Status LineTooLongError(const Event& ev, size_t line_bytes);

}  // namespace quarry::lode
