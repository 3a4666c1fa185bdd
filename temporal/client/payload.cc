#include "client/payload.h"

#include "client/json_depth.h"
#include "quarry/json/parse.h"

namespace quarry::temporal {

common_pb::Payload JsonPayload(const nlohmann::json& value) {
  common_pb::Payload p;
  (*p.mutable_metadata())[kEncodingKey] = kJsonPlain;
  // Invalid UTF-8 in strings is replaced rather than thrown on: payload text comes from scripts
  // and server messages we do not control.
  p.set_data(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return p;
}

common_pb::Payloads JsonPayloads(const nlohmann::json& value) {
  common_pb::Payloads ps;
  *ps.add_payloads() = JsonPayload(value);
  return ps;
}

StatusOr<std::optional<nlohmann::json>> DecodePayload(const common_pb::Payload& payload) {
  auto it = payload.metadata().find(kEncodingKey);
  if (it == payload.metadata().end()) {
    return InvalidArgumentError("payload has no \"encoding\" metadata (expected json/plain)");
  }
  if (it->second == kBinaryNull) return std::optional<nlohmann::json>();
  if (it->second != kJsonPlain) {
    return InvalidArgumentError(
        "unsupported payload encoding \"" + it->second +
        "\" (expected json/plain; no data converter or codec is configured)");
  }
  // Any Temporal client can write a payload; the depth bound keeps a hostile one from crashing
  // the worker that reads it (the caller turns the error into a non-retryable CONFIG_ERROR).
  QUARRY_ASSIGN_OR_RETURN(
      nlohmann::json v,
      ::quarry::json::ParseJson(payload.data(), "json/plain payload", kMaxPayloadDepth));
  return std::optional<nlohmann::json>(std::move(v));
}

StatusOr<std::optional<nlohmann::json>> DecodeSingleArgument(const common_pb::Payloads& payloads) {
  if (payloads.payloads_size() == 0) return std::optional<nlohmann::json>();
  if (payloads.payloads_size() > 1) {
    return InvalidArgumentError("expected one argument, got " +
                                std::to_string(payloads.payloads_size()));
  }
  return DecodePayload(payloads.payloads(0));
}

}  // namespace quarry::temporal
