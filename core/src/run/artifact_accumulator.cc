#include "run/artifact_accumulator.h"

#include "quarry/ipc/frame_format.h"
#include "quarry/json/canonical_json.h"

namespace quarry::run {
namespace {

// Stored ids are JSON strings: two ids differing only in ill-formed bytes would both become
// U+FFFD and their pieces could no longer be told apart (as with map keys, docs/decisions.md).
constexpr char kNotUtf8[] = "artifact_id is not valid UTF-8";

}  // namespace

Status ArtifactAccumulator::Fail(State* st, std::string message) {
  st->error = true;
  return DataLossError(std::move(message));
}

StatusOr<uint64_t> ArtifactAccumulator::AddChunk(std::string_view id, int64_t seq, bool is_last,
                                                 uint64_t size) {
  const std::string name = "artifact \"" + std::string(id) + "\": ";
  if (id.empty()) return DataLossError("artifact chunk without artifact_id");
  if (!json::IsValidUtf8(id)) return DataLossError(kNotUtf8);
  auto it = artifacts_.find(id);
  if (it == artifacts_.end()) it = artifacts_.emplace(std::string(id), State{}).first;
  State& st = it->second;
  if (seq < 1) return Fail(&st, name + "chunk seq " + std::to_string(seq) + " is below 1");
  if (st.complete) return Fail(&st, name + "chunk seq " + std::to_string(seq) + " after is_last");
  if (seq != st.next_seq) {
    return Fail(&st, name + "chunk seq " + std::to_string(seq) + " out of order, expected " +
                         std::to_string(st.next_seq));
  }
  if (size > ipc::kMaxChunkSize) {
    return Fail(&st, name + "chunk of " + std::to_string(size) + " bytes exceeds " +
                         std::to_string(ipc::kMaxChunkSize));
  }
  if (st.bytes + size > ipc::kMaxArtifactSize) {
    return Fail(&st, name + "exceeds the 1 GiB artifact limit");
  }
  uint64_t offset = st.bytes;
  st.bytes += size;
  st.chunks += 1;
  st.next_seq += 1;
  if (is_last) {
    st.complete = true;
    if (st.declared_size && *st.declared_size != st.bytes) {
      return Fail(&st, name + "size mismatch: commit declared " +
                           std::to_string(*st.declared_size) + " bytes, chunks carried " +
                           std::to_string(st.bytes));
    }
  }
  return offset;
}

Status ArtifactAccumulator::Commit(std::string_view id, std::optional<uint64_t> size_bytes) {
  if (id.empty()) return DataLossError("artifact event without a non-empty payload.artifact_id");
  if (!json::IsValidUtf8(id)) return DataLossError(kNotUtf8);
  auto it = artifacts_.find(id);
  if (it == artifacts_.end()) it = artifacts_.emplace(std::string(id), State{}).first;
  State& st = it->second;
  const std::string name = "artifact \"" + std::string(id) + "\": ";
  if (!size_bytes) return Fail(&st, name + "artifact event without a numeric payload.size_bytes");
  if (*size_bytes > ipc::kMaxArtifactSize) {
    return Fail(&st, name + "declared size " + std::to_string(*size_bytes) +
                         " exceeds the 1 GiB artifact limit");
  }
  if (st.committed) return Fail(&st, name + "committed twice");
  st.committed = true;
  if (st.complete) {
    if (st.bytes != *size_bytes) {
      return Fail(&st, name + "size mismatch: commit declared " + std::to_string(*size_bytes) +
                           " bytes, chunks carried " + std::to_string(st.bytes));
    }
  } else {
    st.declared_size = size_bytes;
  }
  return Status::Ok();
}

ArtifactStats ArtifactAccumulator::Stats() const {
  ArtifactStats s;
  for (const auto& [id, st] : artifacts_) {
    s.total += 1;
    s.chunks += st.chunks;
    s.bytes += st.bytes;
    if (st.committed) s.committed += 1;
    if (st.chunks > 0 && !st.committed && !st.error) {
      s.orphaned += 1;
      s.orphan_ids.push_back(id);
    }
  }
  return s;
}

}  // namespace quarry::run
