// Artifact bookkeeping of executor-contract.md §12.2: chunk order per artifact, the 8 MiB chunk
// and 1 GiB artifact caps, size reconciliation between chunks and the commit event, orphans.
// Every error is a fatal stream error for the run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "quarry/run/run_result.h"
#include "quarry/status.h"

namespace quarry::run {

class ArtifactAccumulator {
 public:
  // Validates one chunk and returns its byte offset within the artifact.
  StatusOr<uint64_t> AddChunk(std::string_view artifact_id, int64_t seq, bool is_last,
                              uint64_t size);
  // Validates the `artifact` commit event. `size_bytes` is nullopt when absent or not numeric.
  Status Commit(std::string_view artifact_id, std::optional<uint64_t> size_bytes);

  ArtifactStats Stats() const;

 private:
  struct State {
    int64_t next_seq = 1;
    bool complete = false;  // the is_last chunk arrived
    bool committed = false;
    bool error = false;
    uint64_t bytes = 0;
    uint64_t chunks = 0;
    std::optional<uint64_t> declared_size;
  };
  Status Fail(State* st, std::string message);

  std::map<std::string, State, std::less<>> artifacts_;  // ordered: stable orphan listing
};

}  // namespace quarry::run
