// NotifyWebhook (../shared/spec/temporal.md §2): {url, headers?, body} -> POST body as JSON ->
// {status}. Downstream notification as its own activity: Temporal retries it, so delivery is at
// least once without an outbox. Non-2xx answers and transport errors are retryable failures
// (WEBHOOK_ERROR); a malformed input is CONFIG_ERROR.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "quarry/run/orchestrator.h"
#include "worker/extraction_activity.h"

namespace quarry::temporal {

ActivityOutcome NotifyWebhook(const std::optional<nlohmann::json>& input, run::CancelToken* cancel);

}  // namespace quarry::temporal
