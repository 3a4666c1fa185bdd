// Workflow updates (Temporal's update protocol, docs/temporal.md "Signals and queries"): the
// server hands a worker update requests as protocol messages beside a workflow task; the worker
// answers with messages — a rejection (nothing is written to history), or an acceptance and a
// response, each also named by a PROTOCOL_MESSAGE command so history records
// WorkflowExecutionUpdateAccepted/Completed in command order. On replay an accepted update is
// read back from its UpdateAccepted event and applied again at the task that accepted it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "quarry/status.h"
#include "temporal/api/history/v1/message.pb.h"
#include "temporal/api/protocol/v1/message.pb.h"
#include "temporal/api/update/v1/message.pb.h"

namespace quarry::temporal {

namespace protocol_pb = ::temporal::api::protocol::v1;
namespace update_pb = ::temporal::api::update::v1;

struct UpdateRequest {
  std::string message_id;            // of the request message
  std::string protocol_instance_id;  // the update id
  int64_t sequencing_event_id = 0;
  update_pb::Request request;
  std::string name;
  std::optional<nlohmann::json> input;  // the first argument
};

// nullopt for a message that is not an update request (another protocol).
StatusOr<std::optional<UpdateRequest>> UpdateFromMessage(const protocol_pb::Message& message);
// From a WorkflowExecutionUpdateAccepted event, for replay.
UpdateRequest UpdateFromAcceptedEvent(const ::temporal::api::history::v1::HistoryEvent& event);

protocol_pb::Message RejectionMessage(const UpdateRequest& u, const std::string& why);
protocol_pb::Message AcceptanceMessage(const UpdateRequest& u);
protocol_pb::Message ResponseMessage(const UpdateRequest& u, const nlohmann::json& result);

}  // namespace quarry::temporal
