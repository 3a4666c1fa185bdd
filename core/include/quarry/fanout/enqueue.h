// The `enqueue` event as fan-out reads it (cli-and-integrations.md §9, executor-contract.md §21.5),
// shared by the `quarry run` fan-out operator and the Temporal crawl workflow so both accept,
// skip and deduplicate the same requests.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "quarry/event.h"

namespace quarry::fanout {

// One child run asked for by an `enqueue` event.
struct EnqueueRequest {
  std::string target;       // script path, as given (resolved against the working directory)
  std::string params_json;  // canonical JSON object (compact, keys sorted); "{}" when not an object
  std::string source;       // "" = inherit the enqueuing run's effective value
  std::string category;     // "" = inherit
  std::string event_id;     // of the enqueue event (the child's fan-out link)
};

// Reads an accepted `enqueue` event. nullopt when the event is not an enqueue or its `target` is
// empty or not a string (the operator counts it as skipped). Non-string source/category are
// ignored, a `params` that is not an object becomes {}.
std::optional<EnqueueRequest> ParseEnqueue(const Event& ev);

// Hex SHA-256 of target || 0x00 || params_json: the dedup key. source/category are not part of
// it; the target is compared exactly (no path normalisation).
std::string DedupKey(std::string_view target, std::string_view params_json);

}  // namespace quarry::fanout
