// The history replayer fed mutated recorded histories as JSON, the form `temporal workflow show
// --output json` writes and tests/unit/temporal/recorded_history_test.cc loads (seeds: the
// recorded histories themselves). Text mutations reach what binary ones rarely do: payload JSON
// inside the events, ids, enum names. Same checks as history_replay_fuzz.
#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <string>

#include "history_replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  quarry::fuzz::history_pb::History h;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (!google::protobuf::util::JsonStringToMessage(text, &h, opts).ok()) return 0;
  quarry::fuzz::ReplayTwice(h, size);
  return 0;
}
