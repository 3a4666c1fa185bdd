#include <gtest/gtest.h>

#include "client/failure.h"
#include "client/payload.h"
#include "temporal/api/enums/v1/workflow.pb.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

TEST(TemporalPayloadTest, JsonPlainRoundTrip) {
  json v = {{"a", 1}, {"s", "caf\u00e9"}, {"l", {1, 2}}};
  common_pb::Payload p = JsonPayload(v);
  EXPECT_EQ(p.metadata().at("encoding"), "json/plain");
  EXPECT_EQ(p.data(), v.dump());
  auto back = DecodePayload(p);
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ(**back, v);
}

TEST(TemporalPayloadTest, BinaryNullIsNoValue) {
  common_pb::Payload p;
  (*p.mutable_metadata())["encoding"] = "binary/null";
  auto v = DecodePayload(p);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
}

TEST(TemporalPayloadTest, OtherEncodingsAreRefusedByName) {
  common_pb::Payload p;
  (*p.mutable_metadata())["encoding"] = "binary/protobuf";
  auto v = DecodePayload(p);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("binary/protobuf"), std::string::npos);
  common_pb::Payload none;
  EXPECT_FALSE(DecodePayload(none).ok());
}

TEST(TemporalPayloadTest, InvalidJsonIsAnError) {
  common_pb::Payload p = JsonPayload(1);
  p.set_data("{nope");
  EXPECT_FALSE(DecodePayload(p).ok());
}

TEST(TemporalPayloadTest, SingleArgument) {
  common_pb::Payloads none;
  auto v = DecodeSingleArgument(none);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
  auto one = DecodeSingleArgument(JsonPayloads(json{{"x", 1}}));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((**one)["x"], 1);
  common_pb::Payloads two = JsonPayloads(1);
  *two.add_payloads() = JsonPayload(2);
  EXPECT_FALSE(DecodeSingleArgument(two).ok());
}

TEST(TemporalFailureTest, ApplicationFailureCarriesTypeFlagAndDetails) {
  failure_pb::Failure f = ToFailure({"POLICY_FAILURE", "disk full", true, json{{"run_id", "r1"}}});
  EXPECT_EQ(f.message(), "disk full");
  ASSERT_TRUE(f.has_application_failure_info());
  EXPECT_EQ(f.application_failure_info().type(), "POLICY_FAILURE");
  EXPECT_TRUE(f.application_failure_info().non_retryable());
  ASSERT_EQ(f.application_failure_info().details().payloads_size(), 1);
  EXPECT_EQ(f.application_failure_info().details().payloads(0).data(), R"({"run_id":"r1"})");

  FailureView v = ViewFailure(f);
  EXPECT_EQ(v.kind, FailureView::Kind::kApplication);
  EXPECT_EQ(v.type, "POLICY_FAILURE");
  EXPECT_TRUE(v.non_retryable);
  EXPECT_EQ((*v.details)["run_id"], "r1");
}

TEST(TemporalFailureTest, NoDetailsWhenAbsent) {
  failure_pb::Failure f = ToFailure({"SCRIPT_ERROR", "x", false, std::nullopt});
  EXPECT_EQ(f.application_failure_info().details().payloads_size(), 0);
  EXPECT_FALSE(ViewFailure(f).details.has_value());
}

TEST(TemporalFailureTest, LooksThroughActivityFailureWrapper) {
  failure_pb::Failure outer;
  outer.set_message("activity error");
  outer.mutable_activity_failure_info()->set_activity_id("attempt-1");
  *outer.mutable_cause() = ToFailure({"SCRIPT_ERROR", "boom", false, std::nullopt});
  FailureView v = ViewFailure(outer);
  EXPECT_EQ(v.type, "SCRIPT_ERROR");
  EXPECT_EQ(v.message, "boom");
}

TEST(TemporalFailureTest, TimeoutTypeIsNamed) {
  failure_pb::Failure f;
  f.set_message("activity Heartbeat timeout");
  f.mutable_timeout_failure_info()->set_timeout_type(
      ::temporal::api::enums::v1::TIMEOUT_TYPE_HEARTBEAT);
  FailureView v = ViewFailure(f);
  EXPECT_EQ(v.kind, FailureView::Kind::kTimeout);
  EXPECT_EQ(v.type, "HEARTBEAT");
}

}  // namespace
}  // namespace quarry::temporal
