// What every policy promises (storage-and-policies.md §3.1–§3.5; checklist §10 items 1–4, 15, 16):
// the droppable set, strict's batch-of-one writes, validation, and the statistics' shape.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_sink.h"
#include "quarry/policy/policy.h"
#include "test_frames.h"

namespace quarry::policy {
namespace {

using policy_testing::FakeSink;
using policy_testing::MakeChunk;
using policy_testing::MakeEvent;
using Kind = FakeSink::Kind;

PolicyConfig Config(std::string name) {
  PolicyConfig c;
  c.name = std::move(name);
  if (c.name == "buffered") c.buffer_bytes = 1 << 20;
  if (c.name == "streaming") c.flush_count = 10;
  return c;
}

// Item 1.
TEST(PolicyContractTest, DroppableSetIsExactlyLogEnqueueRotateProxy) {
  for (const char* t : {"log", "enqueue", "rotate_proxy"})
    EXPECT_TRUE(IsDroppableEventType(t)) << t;
  for (const char* t : {"item", "artifact", "checkpoint", "run_error", "run_complete", "custom", "",
                        "LOG", "log ", "rotate-proxy"}) {
    EXPECT_FALSE(IsDroppableEventType(t)) << t;
  }
}

// Item 3: one sink call per event and per chunk, each a batch of one; nothing left for the flush.
TEST(PolicyContractTest, StrictWritesEachEventAndChunkAlone) {
  FakeSink sink;
  auto p = NewPolicy(Config("strict"), &sink);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE((*p)->IngestChunk(MakeChunk("art", 1, "abc")).ok());
  ASSERT_TRUE((*p)->IngestEvent(MakeEvent("log", 2)).ok());
  std::vector<FakeSink::Call> calls = sink.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].kind, Kind::kEvents);
  EXPECT_EQ(calls[1].kind, Kind::kChunks);
  for (const auto& c : calls) EXPECT_EQ(c.seqs.size(), 1u);
  ASSERT_TRUE((*p)->Flush().ok());
  EXPECT_EQ(sink.calls().size(), 3u);

  sink.FailNext(Kind::kEvents, 1);
  EXPECT_FALSE((*p)->IngestEvent(MakeEvent("item", 3)).ok());
  PolicyStats s = (*p)->Stats();
  EXPECT_EQ(s.total_events, 3u);
  EXPECT_EQ(s.events_persisted, 2u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.buffer_size, 0u);
}

// Item 2: strict and streaming never drop, whatever the type and the volume.
TEST(PolicyContractTest, StrictAndStreamingNeverDrop) {
  for (const char* name : {"strict", "streaming"}) {
    SCOPED_TRACE(name);
    FakeSink sink;
    auto p = NewPolicy(Config(name), &sink);
    ASSERT_TRUE(p.ok());
    for (int64_t seq = 1; seq <= 300; ++seq) {
      const char* type = seq % 3 == 0 ? "log" : seq % 3 == 1 ? "enqueue" : "rotate_proxy";
      ASSERT_TRUE((*p)->IngestEvent(MakeEvent(type, seq)).ok());
    }
    ASSERT_TRUE((*p)->Flush().ok());
    PolicyStats s = (*p)->Stats();
    EXPECT_EQ(s.events_dropped, 0u);
    EXPECT_TRUE(s.dropped_by_type.empty());
    EXPECT_EQ(s.events_persisted, 300u);
    EXPECT_EQ(sink.Persisted(Kind::kEvents).size(), 300u);
  }
}

// Item 4 (the CLI turns these into exit 2 before the run).
TEST(PolicyContractTest, InvalidConfigurationsAreRejected) {
  std::vector<std::string> warnings;
  PolicyConfig buffered = Config("buffered");
  buffered.buffer_bytes = 0;
  EXPECT_EQ(ValidatePolicyConfig(buffered, &warnings).message(),
            "buffered policy requires --buffer-events > 0 or --buffer-bytes > 0");
  buffered.buffer_events = -5;
  EXPECT_FALSE(ValidatePolicyConfig(buffered, &warnings).ok());
  buffered.buffer_events = 1;
  buffered.flush_mode = "exactly_once";
  EXPECT_FALSE(ValidatePolicyConfig(buffered, &warnings).ok());

  PolicyConfig streaming = Config("streaming");
  streaming.flush_count = 0;
  EXPECT_EQ(ValidatePolicyConfig(streaming, &warnings).message(),
            "streaming policy requires --flush-count > 0 or --flush-interval > 0");
  streaming.flush_interval = Duration(-1);
  EXPECT_FALSE(ValidatePolicyConfig(streaming, &warnings).ok());

  FakeSink sink;
  EXPECT_FALSE(NewPolicy(buffered, &sink).ok());
  EXPECT_FALSE(NewPolicy(streaming, &sink).ok());
  auto unknown = NewPolicy(Config("batched"), &sink);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("strict, buffered or streaming"), std::string::npos);
  EXPECT_TRUE(warnings.empty());
}

// Each limit or trigger alone is enough, and the factory builds the policy that was asked for.
TEST(PolicyContractTest, FactoryBuildsEachPolicy) {
  FakeSink sink;
  PolicyConfig events_only = Config("buffered");
  events_only.buffer_bytes = 0;
  events_only.buffer_events = 1;
  PolicyConfig interval_only = Config("streaming");
  interval_only.flush_count = 0;
  interval_only.flush_interval = std::chrono::seconds(1);
  for (const PolicyConfig& c :
       {Config("strict"), Config("buffered"), events_only, Config("streaming"), interval_only}) {
    auto p = NewPolicy(c, &sink);
    ASSERT_TRUE(p.ok()) << c.name << ": " << p.status().message();
    EXPECT_EQ((*p)->Name(), c.name);
    EXPECT_TRUE((*p)->Close().ok());
  }
}

// Items 15 and 16.
TEST(PolicyContractTest, FlushTriggersOnlyForStreamingAndEmptyFlushesCount) {
  for (const char* name : {"strict", "buffered", "streaming"}) {
    SCOPED_TRACE(name);
    FakeSink sink;
    auto p = NewPolicy(Config(name), &sink);
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE((*p)->Flush().ok());
    ASSERT_TRUE((*p)->Flush().ok());
    PolicyStats s = (*p)->Stats();
    EXPECT_EQ(s.flush_count, 2u);
    EXPECT_EQ(s.flush_triggers.has_value(), std::string(name) == "streaming");
    if (s.flush_triggers) {
      EXPECT_EQ(s.flush_triggers->termination, 2u);
      EXPECT_EQ(s.flush_triggers->count, 0u);
      EXPECT_EQ(s.flush_triggers->interval, 0u);
      EXPECT_EQ(s.flush_triggers->capacity, 0u);
    }
    EXPECT_EQ(sink.calls().size(), 0u);
  }
}

}  // namespace
}  // namespace quarry::policy
