// Counters equal what is stored, whichever sink fails and when (storage-and-policies.md §3.3,
// §3.10): real policies over the fan-out with a Lode sink and a Redis sink that fails at the first
// event, in the middle of the run or at the end-of-run flush, mandatory or best_effort. The
// fan-out's count (the run's events_persisted) must equal the events Lode holds, Lode must hold
// no event twice however often a policy retries, and the per-sink counts must equal what each
// sink holds.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <set>
#include <string>
#include <tuple>

#include "fake_sink.h"
#include "quarry/policy/policy.h"
#include "quarry/sinks/event_sinks.h"
#include "test_frames.h"

namespace quarry::sinks {
namespace {

using policy_testing::FakeSink;
using policy_testing::MakeEvent;
using Kind = FakeSink::Kind;

constexpr int64_t kEvents = 12;

enum class FailAt { kFirst, kMiddle, kFlush };

struct Case {
  std::string policy;  // strict | buffered/<mode> | streaming
  Delivery redis;
  FailAt at;
};

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  std::string p = info.param.policy;
  std::replace(p.begin(), p.end(), '/', '_');
  const char* at[] = {"first", "middle", "flush"};
  return p + "_" + (info.param.redis == Delivery::kMandatory ? "mandatory" : "best_effort") + "_" +
         at[static_cast<int>(info.param.at)];
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.policy << "/" << DeliveryName(c.redis) << "/" << static_cast<int>(c.at);
}

class SinkCountersTest : public ::testing::TestWithParam<Case> {};

TEST_P(SinkCountersTest, CountersEqualWhatEachSinkHolds) {
  const Case& c = GetParam();
  FakeSink lode, redis;
  std::vector<FanOutSink::Entry> entries;
  entries.push_back({"lode", Delivery::kMandatory, &lode, nullptr});
  entries.push_back({"redis", c.redis, &redis, nullptr});
  FanOutSink fan(&lode, std::move(entries), nullptr);

  policy::PolicyConfig config;
  config.name = c.policy.substr(0, c.policy.find('/'));
  if (config.name == "buffered") config.flush_mode = c.policy.substr(c.policy.find('/') + 1);
  config.buffer_events = 100;
  config.flush_count = 5;
  auto policy = policy::NewPolicy(config, &fan);
  ASSERT_TRUE(policy.ok()) << policy.status().message();

  if (c.at == FailAt::kFirst) redis.FailAll(true);
  for (int64_t seq = 1; seq <= kEvents; ++seq) {
    if (c.at == FailAt::kMiddle && seq == 7) redis.FailAll(true);
    // An error ends the run at once (policy_failure); nothing more is ingested.
    if (!(*policy)->IngestEvent(MakeEvent("item", seq)).ok()) break;
  }
  if (c.at == FailAt::kFlush) redis.FailAll(true);
  (void)(*policy)->Flush();
  (void)(*policy)->Close();  // its retry rewrites what is still buffered

  const std::vector<int64_t> in_lode = lode.Persisted(Kind::kEvents);
  const std::set<int64_t> distinct(in_lode.begin(), in_lode.end());
  EXPECT_EQ(distinct.size(), in_lode.size()) << "Lode holds an event twice";
  EXPECT_EQ(fan.events_stored(), in_lode.size());
  const auto counts = fan.counts();
  EXPECT_EQ(counts[0].stored, in_lode.size());
  EXPECT_EQ(counts[1].stored, redis.Persisted(Kind::kEvents).size());
  if (c.redis == Delivery::kBestEffort) {
    // Every event reaches Lode; Redis holds or dropped each one exactly once.
    EXPECT_EQ(in_lode.size(), static_cast<size_t>(kEvents));
    EXPECT_EQ(counts[1].stored + counts[1].dropped, static_cast<uint64_t>(kEvents));
  } else {
    EXPECT_EQ(counts[1].dropped, 0u);
  }
}

std::vector<Case> AllCases() {
  std::vector<Case> out;
  for (const char* p : {"strict", "buffered/at_least_once", "buffered/chunks_first",
                        "buffered/two_phase", "streaming"}) {
    for (Delivery d : {Delivery::kMandatory, Delivery::kBestEffort}) {
      for (FailAt at : {FailAt::kFirst, FailAt::kMiddle, FailAt::kFlush}) out.push_back({p, d, at});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(EveryPolicyAndFailureMode, SinkCountersTest,
                         ::testing::ValuesIn(AllCases()), Name);

}  // namespace
}  // namespace quarry::sinks
