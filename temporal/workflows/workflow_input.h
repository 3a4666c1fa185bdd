// Reading a workflow's input: every workflow fails at once, non-retryable (CONFIG_ERROR), when its
// input is missing, undecodable or does not parse, so a typo never waits in history for a retry.
#pragma once

#include <optional>
#include <string>

#include "client/failure.h"
#include "workflows/extraction_params.h"
#include "workflows/workflow.h"

namespace quarry::temporal {

inline void FailConfig(WorkflowContext& ctx, const std::string& message) {
  ctx.Fail(ToFailure({kConfigError, message, /*non_retryable=*/true, std::nullopt}));
}

// `parse` maps the input JSON to StatusOr<T>; `what` names the expected input in messages.
template <typename T, typename Parse>
std::optional<T> ParseInputOrFail(WorkflowContext& ctx, const char* what, Parse parse) {
  const StartInfo& info = ctx.info();
  if (!info.input_error.empty()) {
    FailConfig(ctx, "workflow input: " + info.input_error);
    return std::nullopt;
  }
  if (!info.input) {
    FailConfig(ctx, std::string("workflow input is missing (") + what + ")");
    return std::nullopt;
  }
  StatusOr<T> parsed = parse(*info.input);
  if (!parsed.ok()) {
    FailConfig(ctx, parsed.status().message());
    return std::nullopt;
  }
  return std::move(*parsed);
}

}  // namespace quarry::temporal
