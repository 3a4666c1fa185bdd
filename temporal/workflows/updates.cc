#include "workflows/updates.h"

#include "client/failure.h"
#include "client/payload.h"

namespace quarry::temporal {
namespace {

void ReadInput(UpdateRequest* u) {
  u->name = u->request.input().name();
  auto v = DecodeSingleArgument(u->request.input().args());
  if (v.ok()) u->input = *v;
}

protocol_pb::Message Envelope(const UpdateRequest& u, const std::string& suffix) {
  protocol_pb::Message m;
  m.set_id(u.protocol_instance_id + "/" + suffix);
  m.set_protocol_instance_id(u.protocol_instance_id);
  return m;
}

}  // namespace

StatusOr<std::optional<UpdateRequest>> UpdateFromMessage(const protocol_pb::Message& message) {
  if (!message.body().Is<update_pb::Request>()) return std::optional<UpdateRequest>();
  UpdateRequest u;
  if (!message.body().UnpackTo(&u.request)) {
    return InvalidArgumentError("update request " + message.id() + " does not decode");
  }
  u.message_id = message.id();
  u.protocol_instance_id = message.protocol_instance_id();
  u.sequencing_event_id = message.event_id();
  ReadInput(&u);
  return std::optional<UpdateRequest>(std::move(u));
}

UpdateRequest UpdateFromAcceptedEvent(const ::temporal::api::history::v1::HistoryEvent& event) {
  const auto& a = event.workflow_execution_update_accepted_event_attributes();
  UpdateRequest u;
  u.message_id = a.accepted_request_message_id();
  u.protocol_instance_id = a.protocol_instance_id();
  u.sequencing_event_id = a.accepted_request_sequencing_event_id();
  u.request = a.accepted_request();
  ReadInput(&u);
  return u;
}

protocol_pb::Message RejectionMessage(const UpdateRequest& u, const std::string& why) {
  update_pb::Rejection r;
  r.set_rejected_request_message_id(u.message_id);
  r.set_rejected_request_sequencing_event_id(u.sequencing_event_id);
  *r.mutable_rejected_request() = u.request;
  *r.mutable_failure() = ToFailure({"InvalidUpdate", why, true, std::nullopt});
  protocol_pb::Message m = Envelope(u, "reject");
  m.mutable_body()->PackFrom(r);
  return m;
}

protocol_pb::Message AcceptanceMessage(const UpdateRequest& u) {
  update_pb::Acceptance a;
  a.set_accepted_request_message_id(u.message_id);
  a.set_accepted_request_sequencing_event_id(u.sequencing_event_id);
  *a.mutable_accepted_request() = u.request;
  protocol_pb::Message m = Envelope(u, "accept");
  m.mutable_body()->PackFrom(a);
  return m;
}

protocol_pb::Message ResponseMessage(const UpdateRequest& u, const nlohmann::json& result) {
  update_pb::Response r;
  *r.mutable_meta() = u.request.meta();
  *r.mutable_outcome()->mutable_success() = JsonPayloads(result);
  protocol_pb::Message m = Envelope(u, "complete");
  m.mutable_body()->PackFrom(r);
  return m;
}

}  // namespace quarry::temporal
