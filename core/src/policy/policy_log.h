// The log lines policies share (storage-and-policies.md §3.2, §3.6, §3.7). Field names are part of
// the contract: operators filter drops by `reason` and flush failures by `buffer_type`.
#pragma once

#include <string_view>

#include "quarry/log.h"

namespace quarry::policy {

inline constexpr std::string_view kReasonBufferFull = "buffer_full";
inline constexpr std::string_view kReasonEvicted = "evicted_for_non_droppable";

// warn "event dropped" {event_type, reason, policy}.
void LogDrop(const log::RunContext* ctx, std::string_view policy, std::string_view event_type,
             std::string_view reason);

// error "flush failed" {buffer_type, error, policy[, trigger]}; `trigger` empty = omitted.
void LogFlushFailure(const log::RunContext* ctx, std::string_view policy,
                     std::string_view buffer_type, std::string_view error,
                     std::string_view trigger = {});

}  // namespace quarry::policy
