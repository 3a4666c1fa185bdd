#include "policy/policy_log.h"

#include "quarry/json/canonical_json.h"

namespace quarry::policy {

void LogDrop(const log::RunContext* ctx, std::string_view policy, std::string_view event_type,
             std::string_view reason) {
  if (log::GetLevel() > log::Level::kWarn) return;  // skip building fields nobody will see
  json::ObjectBuilder fields;
  fields.AddString("event_type", event_type)
      .AddString("reason", reason)
      .AddString("policy", policy);
  log::Write(log::Level::kWarn, "event dropped", ctx, fields.Build());
}

void LogFlushFailure(const log::RunContext* ctx, std::string_view policy,
                     std::string_view buffer_type, std::string_view error,
                     std::string_view trigger) {
  json::ObjectBuilder fields;
  fields.AddString("buffer_type", buffer_type)
      .AddString("error", error)
      .AddString("policy", policy);
  if (!trigger.empty()) fields.AddString("trigger", trigger);
  log::Write(log::Level::kError, "flush failed", ctx, fields.Build());
}

}  // namespace quarry::policy
