#include "client/failure.h"

#include "client/payload.h"
#include "temporal/api/enums/v1/workflow.pb.h"

namespace quarry::temporal {

failure_pb::Failure ToFailure(const ApplicationError& error) {
  failure_pb::Failure f;
  f.set_message(error.message);
  f.set_source(kFailureSource);
  auto* info = f.mutable_application_failure_info();
  info->set_type(error.type);
  info->set_non_retryable(error.non_retryable);
  if (error.details) *info->mutable_details() = JsonPayloads(*error.details);
  return f;
}

namespace {

std::optional<nlohmann::json> FirstDetail(const common_pb::Payloads& details) {
  if (details.payloads_size() == 0) return std::nullopt;
  auto v = DecodePayload(details.payloads(0));
  if (!v.ok()) return std::nullopt;
  return *v;
}

std::string TimeoutTypeName(::temporal::api::enums::v1::TimeoutType t) {
  std::string name = ::temporal::api::enums::v1::TimeoutType_Name(t);
  constexpr std::string_view kPrefix = "TIMEOUT_TYPE_";
  if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
  return name;
}

}  // namespace

FailureView ViewFailure(const failure_pb::Failure& failure) {
  const failure_pb::Failure* f = &failure;
  // Activity results are wrapped by some servers and SDKs; the cause holds what happened.
  while (f->has_activity_failure_info() && f->has_cause()) f = &f->cause();
  FailureView v;
  v.message = f->message();
  if (f->has_application_failure_info()) {
    v.kind = FailureView::Kind::kApplication;
    v.type = f->application_failure_info().type();
    v.non_retryable = f->application_failure_info().non_retryable();
    v.details = FirstDetail(f->application_failure_info().details());
  } else if (f->has_timeout_failure_info()) {
    v.kind = FailureView::Kind::kTimeout;
    v.type = TimeoutTypeName(f->timeout_failure_info().timeout_type());
    // What the attempt last reported alive (our activity: {run_id, event_count,
    // last_checkpoint_id}).
    v.details = FirstDetail(f->timeout_failure_info().last_heartbeat_details());
  } else if (f->has_canceled_failure_info()) {
    v.kind = FailureView::Kind::kCanceled;
    v.details = FirstDetail(f->canceled_failure_info().details());
  }
  return v;
}

}  // namespace quarry::temporal
