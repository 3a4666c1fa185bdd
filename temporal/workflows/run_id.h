// Run ids derived from history, so a replayed workflow schedules the same run ids
// (docs/temporal.md, "Run ids"): a name-based UUID (RFC 4122 version 5, SHA-1) in Quarry's own
// namespace UUID.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quarry::temporal {

using Uuid = std::array<uint8_t, 16>;

// 0ba08600-c106-457b-b9d3-2588c4d928f4: fixed forever; changing it changes every derived run id.
extern const Uuid kQuarryRunIdNamespace;

// Lowercase 8-4-4-4-12 text.
std::string NameBasedUuid(const Uuid& name_space, std::string_view name);

// The run id of attempt `attempt` of the workflow execution `workflow_run_id`:
// NameBasedUuid(kQuarryRunIdNamespace, "<workflow_run_id>/<attempt>").
std::string AttemptRunId(std::string_view workflow_run_id, int64_t attempt);

// The index of an activity or timer id "<prefix><i>/..." (e.g. "run-3/attempt-1"); nullopt for
// ids of another shape.
std::optional<int64_t> IndexInId(std::string_view prefix, std::string_view id);

}  // namespace quarry::temporal
