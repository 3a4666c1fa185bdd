#include <string>
#include <vector>

#include "quarry/policy/policy.h"

namespace quarry::policy {

StatusOr<std::unique_ptr<Policy>> NewPolicy(const PolicyConfig& config, BatchSink* sink,
                                            const log::RunContext* log_ctx) {
  // The CLI has already shown the warnings; this re-check only guards library callers.
  std::vector<std::string> ignored;
  QUARRY_RETURN_IF_ERROR(ValidatePolicyConfig(config, &ignored));
  if (config.name == "buffered") return NewBufferedPolicy(config, sink, log_ctx);
  if (config.name == "streaming") return NewStreamingPolicy(config, sink, log_ctx);
  return NewStrictPolicy(sink);
}

}  // namespace quarry::policy
