// Deeply nested JSON reaching the worker from any Temporal client: refused with one line at the
// door (payload decoding, the job of a run template) instead of overflowing a stack later, and a
// workflow whose input is too deep fails at once with a non-retryable CONFIG_ERROR.
#include <gtest/gtest.h>

#include <string>

#include "client/json_depth.h"
#include "client/payload.h"
#include "history_builder.h"
#include "temporal/api/enums/v1/command_type.pb.h"
#include "workflows/extraction_params.h"
#include "workflows/registry.h"
#include "workflows/replay.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;
namespace enums = ::temporal::api::enums::v1;

// `depth` nested arrays, as text: never built as a json value, whose destructor or dump could be
// what crashes.
std::string Nested(int depth, const std::string& inner = "") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

common_pb::Payload JsonText(const std::string& text) {
  common_pb::Payload p;
  (*p.mutable_metadata())[kEncodingKey] = kJsonPlain;
  p.set_data(text);
  return p;
}

TEST(TemporalInputDepthTest, PayloadsNestedDeeperThanTheWireLimitAreRefusedInOneLine) {
  auto deep = DecodePayload(JsonText(Nested(30'000)));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(),
            "json/plain payload is nested deeper than 256 levels (at byte 256)");
  auto limit = DecodePayload(JsonText(Nested(kMaxPayloadDepth)));
  ASSERT_TRUE(limit.ok()) << limit.status().message();
  EXPECT_FALSE(NestsDeeperThan(**limit, kMaxPayloadDepth));
  EXPECT_TRUE(NestsDeeperThan(**limit, kMaxPayloadDepth - 1));
}

TEST(TemporalInputDepthTest, NestsDeeperThanCountsContainersNotScalars) {
  EXPECT_FALSE(NestsDeeperThan(json(1), 0));
  EXPECT_TRUE(NestsDeeperThan(json::array(), 0));
  EXPECT_FALSE(NestsDeeperThan(json::parse(R"({"a": [1, {"b": 2}], "c": []})"), 3));
  EXPECT_TRUE(NestsDeeperThan(json::parse(R"({"a": [1, {"b": [2]}], "c": []})"), 3));
}

TEST(TemporalInputDepthTest, AJobDeeperThanQuarryRunAcceptsIsAConfigError) {
  const std::string head = R"({"script": "/s.mjs", "source": "shop", "job": {"a": )";
  auto ok = DecodePayload(JsonText(head + Nested(127) + "}}"));  // job: 128 levels
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ParseExtractionWorkflowParams(**ok).ok());
  auto deep = DecodePayload(JsonText(head + Nested(128) + "}}"));  // job: 129 levels
  ASSERT_TRUE(deep.ok());
  auto p = ParseExtractionWorkflowParams(**deep);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "\"job\" is nested deeper than 128 levels");
  EXPECT_FALSE(ParseExtractionParams(**deep).ok());
}

// What `temporal workflow start --input` with 30,000 nested arrays leaves in history.
TEST(TemporalInputDepthTest, AWorkflowStartedWithTooDeepInputFailsNonRetryably) {
  for (const char* type :
       {"QuarryExtractionWorkflow", "BatchExtraction", "LargeBatchExtraction", "BatchChunk"}) {
    testing::HistoryBuilder h(nullptr);
    h.TaskStarted();
    ::temporal::api::history::v1::History history = h.history();
    auto* started =
        history.mutable_events(0)->mutable_workflow_execution_started_event_attributes();
    started->mutable_workflow_type()->set_name(type);
    *started->mutable_input()->add_payloads() =
        JsonText(R"({"script": "/s.mjs", "job": )" + Nested(30'000) + "}");
    ::temporal::api::common::v1::WorkflowExecution ex;
    ex.set_workflow_id("wf-deep");
    ex.set_run_id("11111111-2222-3333-4444-555555555555");
    ReplayResult r = ReplayHistory(&CreateWorkflow, ex, type, history);
    ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << type << ": " << r.message;
    ASSERT_EQ(r.commands.size(), 1u) << type;
    ASSERT_EQ(r.commands[0].command_type(), enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION) << type;
    FailureView v =
        ViewFailure(r.commands[0].fail_workflow_execution_command_attributes().failure());
    EXPECT_EQ(v.type, "CONFIG_ERROR") << type;
    EXPECT_TRUE(v.non_retryable) << type;
    EXPECT_EQ(v.message,
              "workflow input: json/plain payload is nested deeper than 256 levels (at byte 283)")
        << type;
  }
}

}  // namespace
}  // namespace quarry::temporal
