// The history replayer (temporal/workflows/replay.*) and every registered workflow, fed mutated
// recorded histories as binary protobuf (seeds: tests/unit/temporal/histories/*.json converted,
// whole and cut after each workflow task; fuzz/corpus/make_seeds.py). Checked: no crash, replay
// is deterministic (two replays give the same commands or the same error), errors have messages.
#include <cstdint>

#include "history_replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  quarry::fuzz::history_pb::History h;
  if (!h.ParseFromArray(data, static_cast<int>(size))) return 0;
  quarry::fuzz::ReplayTwice(h, size);
  return 0;
}
