// Failure conversion: our errors become Temporal ApplicationFailures (type, non_retryable,
// details as json/plain payloads) that workflows in any SDK can read, and failures found in
// history are read back into one flat view.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "quarry/status.h"
#include "temporal/api/failure/v1/message.pb.h"

namespace quarry::temporal {

namespace failure_pb = ::temporal::api::failure::v1;

inline constexpr char kFailureSource[] = "QuarryTemporal";

struct ApplicationError {
  std::string type;
  std::string message;
  bool non_retryable = false;
  std::optional<nlohmann::json> details;  // one json/plain payload when set
};

failure_pb::Failure ToFailure(const ApplicationError& error);

// What a workflow needs to know about a failure from history.
struct FailureView {
  enum class Kind { kApplication, kTimeout, kCanceled, kOther };
  Kind kind = Kind::kOther;
  std::string message;
  std::string type;            // ApplicationFailure type; for timeouts e.g. "HEARTBEAT"
  bool non_retryable = false;  // application failures only
  // First detail payload, when it is JSON; for a timeout the last heartbeat's details.
  std::optional<nlohmann::json> details;
};

// Looks through ActivityFailure wrappers to the cause. Undecodable details are left unset.
FailureView ViewFailure(const failure_pb::Failure& failure);

}  // namespace quarry::temporal
