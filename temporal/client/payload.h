// Payload conversion as every official SDK and the `temporal` CLI do it by default: one Payload per
// argument, metadata encoding = json/plain, data = the UTF-8 JSON text. binary/null is "no value";
// any other encoding (protobuf, encrypted, ...) is refused with an error naming it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "quarry/status.h"
#include "temporal/api/common/v1/message.pb.h"

namespace quarry::temporal {

namespace common_pb = ::temporal::api::common::v1;

inline constexpr char kEncodingKey[] = "encoding";
inline constexpr char kJsonPlain[] = "json/plain";
inline constexpr char kBinaryNull[] = "binary/null";

common_pb::Payload JsonPayload(const nlohmann::json& value);
common_pb::Payloads JsonPayloads(const nlohmann::json& value);  // one argument

// nullopt for binary/null; an error for other encodings, invalid JSON or JSON nested deeper than
// kMaxPayloadDepth (client/json_depth.h).
StatusOr<std::optional<nlohmann::json>> DecodePayload(const common_pb::Payload& payload);

// The first argument; nullopt when there is none or it is binary/null. Extra arguments are an
// error: our workflows and activities take exactly one.
StatusOr<std::optional<nlohmann::json>> DecodeSingleArgument(const common_pb::Payloads& payloads);

}  // namespace quarry::temporal
