// What RunQuarryExtraction hands a crawl: the run's accepted enqueue requests in event order, up
// to the caps the workflow asked for, with everything else counted (worker/enqueue_collector.h).
#include <gtest/gtest.h>

#include "lode/test_events.h"
#include "worker/enqueue_collector.h"

namespace quarry::temporal {
namespace {

using lode::testing::EventSpec;
using lode::testing::MakeEvent;
using lode::testing::Pack;
using lode::testing::PackStr;
using nlohmann::json;

// An enqueue event with `target` (nullopt: none), params {id: n} and optional overrides.
Event Enqueue(std::optional<std::string> target, int n, const std::string& source = "") {
  EventSpec spec;
  spec.type = "enqueue";
  spec.event_id = "ev-" + std::to_string(n);
  spec.payload = Pack([&](lode::testing::Packer& p) {
    p.pack_map((target ? 1 : 0) + 1 + (source.empty() ? 0 : 1));
    if (target) {
      PackStr(p, "target");
      PackStr(p, *target);
    }
    PackStr(p, "params");
    p.pack_map(1);
    PackStr(p, "id");
    p.pack(n);
    if (!source.empty()) {
      PackStr(p, "source");
      PackStr(p, source);
    }
  });
  return MakeEvent(spec);
}

TEST(TemporalEnqueueCollectorTest, HandsBackRequestsInOrderAndCountsTheRest) {
  EnqueueCollector c({/*max_tasks=*/2, /*max_bytes=*/kMaxEnqueuedBytesPerResult});
  c.OnEvent(MakeEvent(EventSpec{}));  // an item: not a request
  c.OnEvent(Enqueue("a.mjs", 1, "other"));
  c.OnEvent(Enqueue("", 2));            // empty target: invalid
  c.OnEvent(Enqueue(std::nullopt, 3));  // no target: invalid
  c.OnEvent(Enqueue("b.mjs", 4));
  c.OnEvent(Enqueue("c.mjs", 5));  // over max_tasks
  json r = {{"outcome", "success"}};
  c.AddTo(&r);
  EXPECT_EQ(r["enqueue_received"], 5);
  EXPECT_EQ(r["enqueue_invalid"], 2);
  EXPECT_EQ(r["enqueued_omitted"], 1);
  ASSERT_EQ(r["enqueued"].size(), 2u);
  EXPECT_EQ(r["enqueued"][0], (json{{"target", "a.mjs"},
                                    {"params", {{"id", 1}}},
                                    {"source", "other"},
                                    {"event_id", "ev-1"}}));
  EXPECT_EQ(r["enqueued"][1]["target"], "b.mjs");
  EXPECT_FALSE(r["enqueued"][1].contains("source"));
  EXPECT_EQ(r["outcome"], "success");
}

TEST(TemporalEnqueueCollectorTest, TheByteCapKeepsAPrefixAndZeroTasksOnlyCounts) {
  EnqueueCollector bytes({kMaxEnqueuedPerResult, /*max_bytes=*/120});
  for (int i = 0; i < 5; ++i) bytes.OnEvent(Enqueue("a-rather-long-target-name.mjs", i));
  json r = json::object();
  bytes.AddTo(&r);
  EXPECT_EQ(r["enqueue_received"], 5);
  const size_t kept = r["enqueued"].size();
  EXPECT_GE(kept, 1u);
  EXPECT_LT(kept, 5u);
  EXPECT_EQ(r["enqueued_omitted"], 5 - static_cast<int>(kept));
  EXPECT_LE(r["enqueued"].dump().size(), 120u + kept);

  EnqueueCollector none({0, kMaxEnqueuedBytesPerResult});
  none.OnEvent(Enqueue("a.mjs", 1));
  json n = json::object();
  none.AddTo(&n);
  EXPECT_TRUE(n["enqueued"].empty());
  EXPECT_EQ(n["enqueued_omitted"], 1);
  json not_object = json::array();
  none.AddTo(&not_object);
  EXPECT_TRUE(not_object.empty());
}

}  // namespace
}  // namespace quarry::temporal
