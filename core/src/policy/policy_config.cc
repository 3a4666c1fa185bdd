#include <string>
#include <vector>

#include "quarry/policy/policy.h"

namespace quarry::policy {

// storage-and-policies.md §3.5: the CLI passes exactly what the user gave; no hidden defaults.
Status ValidatePolicyConfig(const PolicyConfig& c, std::vector<std::string>* warnings) {
  if (c.name == "strict") {
    if (c.buffer_events > 0) warnings->push_back("--buffer-events is ignored by the strict policy");
    if (c.buffer_bytes > 0) warnings->push_back("--buffer-bytes is ignored by the strict policy");
    if (c.flush_mode != "at_least_once") {
      warnings->push_back("--flush-mode is ignored by the strict policy");
    }
    return Status::Ok();
  }
  if (c.name == "buffered") {
    if (c.buffer_events <= 0 && c.buffer_bytes <= 0) {
      return InvalidArgumentError(
          "buffered policy requires --buffer-events > 0 or --buffer-bytes > 0");
    }
    if (c.flush_mode != "at_least_once" && c.flush_mode != "chunks_first" &&
        c.flush_mode != "two_phase") {
      return InvalidArgumentError("invalid --flush-mode \"" + c.flush_mode +
                                  "\": must be at_least_once, chunks_first or two_phase");
    }
    return Status::Ok();
  }
  if (c.name == "streaming") {
    if (c.flush_count <= 0 && c.flush_interval.count() <= 0) {
      return InvalidArgumentError(
          "streaming policy requires --flush-count > 0 or --flush-interval > 0");
    }
    if (c.buffer_events > 0 || c.buffer_bytes > 0 || c.flush_mode != "at_least_once") {
      warnings->push_back(
          "--buffer-events, --buffer-bytes and --flush-mode are ignored by the streaming policy");
    }
    return Status::Ok();
  }
  return InvalidArgumentError("unknown policy \"" + c.name +
                              "\": must be strict, buffered or streaming");
}

}  // namespace quarry::policy
