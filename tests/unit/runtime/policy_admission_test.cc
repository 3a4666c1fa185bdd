// storage-and-policies.md §4.8: an event that can never be stored (NaN, a line over 10 MiB, a map
// key that is not UTF-8) is refused when it is ingested, also by the policies that write only
// later.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "quarry/lode/run_writer.h"
#include "quarry/lode/store.h"
#include "quarry/policy/policy.h"
#include "test_frames.h"

namespace quarry::policy {
namespace {

using policy_testing::EnvelopePayload;
using policy_testing::EventFrom;
using policy_testing::EventPayload;

lode::RunDescriptor Descriptor(const std::string& policy) {
  lode::RunDescriptor d;
  d.run_id = std::string(policy_testing::kRunId);
  d.source = "src";
  d.day = "2026-03-22";
  d.policy = policy;
  d.executor = "executor.mjs";
  d.started_at = "2026-03-22T09:15:00.000Z";
  return d;
}

Event NanEvent(int64_t seq) {
  return EventFrom(EnvelopePayload("item", seq, [](auto& p) {
    p.pack_map(2);
    policy_testing::detail::Str(p, "item_type");
    policy_testing::detail::Str(p, "t");
    policy_testing::detail::Str(p, "price");
    p.pack_double(std::numeric_limits<double>::quiet_NaN());
  }));
}

// Two keys that differ only in invalid bytes: stored as "\ufffd" they would collide.
Event InvalidKeyEvent(int64_t seq) {
  return EventFrom(EnvelopePayload("item", seq, [](auto& p) {
    p.pack_map(2);
    policy_testing::detail::Str(p, "item_type");
    policy_testing::detail::Str(p, "t");
    policy_testing::detail::Str(p, "data");
    p.pack_map(2);
    policy_testing::detail::Str(p, "a\xff");
    p.pack_int(1);
    policy_testing::detail::Str(p, "a\xfe");
    p.pack_int(2);
  }));
}

class PolicyAdmissionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PolicyAdmissionTest, UnstorableEventsFailAtIngest) {
  PolicyConfig config;
  config.name = GetParam();
  config.buffer_events = 100;
  config.flush_count = 100;
  auto store = lode::NewMemStore();
  lode::RunWriter writer(store, Descriptor(config.name));
  auto policy = NewPolicy(config, &writer);
  ASSERT_TRUE(policy.ok()) << policy.status().message();

  ASSERT_TRUE((*policy)->IngestEvent(EventFrom(EventPayload("item", 1))).ok());
  Status nan = (*policy)->IngestEvent(NanEvent(2));
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.message().find("event seq 2"), std::string::npos) << nan.message();

  Status huge = (*policy)->IngestEvent(EventFrom(EventPayload("item", 3, 1, 11 * 1024 * 1024)));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.message().find("stored lines are limited to 10485760 bytes"), std::string::npos)
      << huge.message();

  Status key = (*policy)->IngestEvent(InvalidKeyEvent(4));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(
      key.message(),
      "event seq 4 (item) cannot be stored: map key is not valid UTF-8 at payload.data.a\\xff");

  EXPECT_EQ((*policy)->Stats().errors, 3u);
  // What was admitted before is still written by the end-of-run flush.
  EXPECT_TRUE((*policy)->Flush().ok());
  EXPECT_EQ((*policy)->Stats().events_persisted, 1u);
}

INSTANTIATE_TEST_SUITE_P(BufferingPolicies, PolicyAdmissionTest,
                         ::testing::Values("buffered", "streaming"));

}  // namespace
}  // namespace quarry::policy
