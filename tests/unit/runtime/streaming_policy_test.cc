// streaming (storage-and-policies.md §3.7; checklist §10 items 2, 12–17): count, interval,
// capacity and termination triggers, blocking at the caps, restore-in-front on failure, serialized
// flushes, and ingest racing the interval timer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fake_sink.h"
#include "quarry/policy/policy.h"
#include "test_frames.h"

namespace quarry::policy {
namespace {

using namespace std::chrono_literals;
using policy_testing::FakeSink;
using policy_testing::MakeChunk;
using policy_testing::MakeEvent;
using policy_testing::MakeHugeChunk;
using Kind = FakeSink::Kind;
using Seqs = std::vector<int64_t>;

PolicyConfig Streaming(int64_t count, Duration interval = Duration(0)) {
  PolicyConfig c;
  c.name = "streaming";
  c.flush_count = count;
  c.flush_interval = interval;
  return c;
}

std::unique_ptr<Policy> Make(const PolicyConfig& config, FakeSink* sink) {
  auto p = NewPolicy(config, sink);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return std::move(p).value();
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

Seqs Range(int64_t from, int64_t to) {
  Seqs out;
  for (int64_t s = from; s <= to; ++s) out.push_back(s);
  return out;
}

// Item 12: the ingest call that brings the event buffer to flush_count hands it to the writer
// thread (issue 15: counted at once, written without holding up ingest).
TEST(StreamingPolicyTest, CountFlushIsHandedOffByTheIngestCallThatReachesTheCount) {
  FakeSink sink;
  auto p = Make(Streaming(3), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 2)).ok());
  EXPECT_EQ(sink.entered(), 0u);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 3)).ok());
  EXPECT_EQ(p->Stats().flush_triggers->count, 1u);
  ASSERT_TRUE(WaitUntil([&] { return p->Stats().events_persisted == 3; }));
  ASSERT_EQ(sink.calls().size(), 1u);
  EXPECT_EQ(sink.calls()[0].seqs, (Seqs{1, 2, 3}));
  PolicyStats s = p->Stats();
  EXPECT_EQ(s.flush_triggers->count, 1u);
  EXPECT_EQ(s.flush_count, 1u);
  EXPECT_EQ(s.events_persisted, 3u);
  EXPECT_EQ(s.buffer_size, 0u);
}

// Item 12: chunks never trigger `count`; a later count flush writes them first (D11.6).
TEST(StreamingPolicyTest, ChunksNeverTriggerACountFlush) {
  FakeSink sink;
  auto p = Make(Streaming(2), &sink);
  for (int64_t i = 1; i <= 5; ++i) ASSERT_TRUE(p->IngestChunk(MakeChunk("art", i, "data")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  EXPECT_EQ(sink.entered(), 0u);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 2)).ok());
  ASSERT_TRUE(WaitUntil([&] { return p->Stats().events_persisted == 2; }));
  std::vector<FakeSink::Call> calls = sink.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].kind, Kind::kChunks);
  EXPECT_EQ(calls[0].seqs, (Seqs{1, 2, 3, 4, 5}));
  EXPECT_EQ(calls[1].kind, Kind::kEvents);
  EXPECT_EQ(p->Stats().flush_triggers->count, 1u);
  EXPECT_EQ(p->Stats().chunks_persisted, 5u);
}

// The runtime's end-of-run flush is tagged `termination`; Close flushes once more, also tagged
// `termination`, and stops taking input. Items 15, 16: four keys, empty flushes counted.
TEST(StreamingPolicyTest, TerminationFlushesAndEmptyFlushesAreCounted) {
  FakeSink sink;
  auto p = Make(Streaming(100), &sink);
  PolicyStats s = p->Stats();
  ASSERT_TRUE(s.flush_triggers.has_value());
  EXPECT_EQ(s.flush_triggers->count + s.flush_triggers->interval + s.flush_triggers->termination +
                s.flush_triggers->capacity,
            0u);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, "abc")).ok());
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.calls().size(), 2u);
  ASSERT_TRUE(p->Flush().ok());  // empty
  ASSERT_TRUE(p->Close().ok());  // empty
  EXPECT_EQ(sink.calls().size(), 2u);
  s = p->Stats();
  EXPECT_EQ(s.flush_count, 3u);
  EXPECT_EQ(s.flush_triggers->termination, 3u);
  EXPECT_EQ(s.flush_triggers->count, 0u);
  EXPECT_FALSE(p->IngestEvent(MakeEvent("item", 2)).ok());
  EXPECT_FALSE(p->IngestChunk(MakeChunk("art", 2, "x")).ok());
}

TEST(StreamingPolicyTest, CloseWritesWhatIsStillBuffered) {
  FakeSink sink;
  auto p = Make(Streaming(100), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->Close().ok());
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1}));
  EXPECT_EQ(p->Stats().flush_triggers->termination, 1u);
}

// Item 13: empty ticks are skipped without counting; a non-empty buffer is flushed by the timer.
TEST(StreamingPolicyTest, IntervalFlushFiresOnlyWithANonEmptyBuffer) {
  FakeSink sink;
  auto p = Make(Streaming(0, std::chrono::milliseconds(5)), &sink);
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(p->Stats().flush_count, 0u);
  EXPECT_EQ(p->Stats().flush_triggers->interval, 0u);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(sink.WaitForEntered(1));
  ASSERT_TRUE(WaitUntil([&] { return p->Stats().events_persisted == 1; }));
  PolicyStats s = p->Stats();
  EXPECT_EQ(s.flush_triggers->interval, 1u);
  EXPECT_EQ(s.flush_count, 1u);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(p->Stats().flush_triggers->interval, 1u);
}

// Item 13: an interval failure does not fail anything, the taken items go back ahead of what
// arrived meanwhile, and the next tick writes them all in order.
TEST(StreamingPolicyTest, IntervalFailureIsRetriedWithRestoredItemsInFront) {
  FakeSink sink;
  auto p = Make(Streaming(0, std::chrono::milliseconds(5)), &sink);
  sink.CloseGate();
  sink.FailNext(Kind::kChunks, 1);
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, "abc")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 2)).ok());
  ASSERT_TRUE(sink.WaitForEntered(1));  // the tick took chunk 1 + events 1, 2 and is writing
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 2, "def")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 3)).ok());
  ::testing::internal::CaptureStderr();
  sink.OpenGate();
  ASSERT_TRUE(WaitUntil([&] { return p->Stats().events_persisted == 3; }));
  const std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logs.find(R"("buffer_type":"chunks")"), std::string::npos) << logs;
  EXPECT_NE(logs.find(R"("trigger":"interval")"), std::string::npos) << logs;
  std::vector<FakeSink::Call> calls = sink.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_FALSE(calls[0].ok);
  EXPECT_EQ(calls[1].seqs, (Seqs{1, 2}));  // chunks: restored one first
  EXPECT_EQ(calls[2].seqs, (Seqs{1, 2, 3}));
  PolicyStats s = p->Stats();
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.chunks_persisted, 2u);
  EXPECT_GE(s.flush_triggers->interval, 2u);
}

// An event write failure after a successful chunk write restores only the events. The failed
// write was pipelined, so it is the error of the next ingest call (§3.9: -> policy_failure).
TEST(StreamingPolicyTest, EventFailureRestoresOnlyTheEvents) {
  FakeSink sink;
  auto p = Make(Streaming(2), &sink);
  sink.FailNext(Kind::kEvents, 1);
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, "abc")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 2)).ok());  // handed off
  ASSERT_TRUE(WaitUntil([&] { return p->Stats().errors == 1; }));
  ::testing::internal::GetCapturedStderr();
  PolicyStats st = p->Stats();
  EXPECT_EQ(st.chunks_persisted, 1u);
  EXPECT_EQ(st.events_persisted, 0u);
  EXPECT_EQ(st.buffer_size, 600u);
  // Event 3 is admitted behind the restored two; its count trigger reports the failure.
  Status s = p->IngestEvent(MakeEvent("item", 3));
  EXPECT_EQ(s.message(), "injected write failure");
  EXPECT_EQ(p->Stats().errors, 1u);
  // The end-of-run flush retries the restored events in order; the chunk is not written again.
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.Persisted(Kind::kChunks), (Seqs{1}));
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1, 2, 3}));
}

// A pipelined failure that no ingest call came to report is the end-of-run flush's error, once,
// even though that flush writes the restored events (§3.8, §3.9: policy_failure).
TEST(StreamingPolicyTest, PipelinedFailureIsTheTerminationFlushErrorWhenNoIngestFollows) {
  FakeSink sink;
  auto p = Make(Streaming(2), &sink);
  sink.FailNext(Kind::kEvents, 1);
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 2)).ok());
  ASSERT_TRUE(WaitUntil([&] { return p->Stats().errors == 1; }));
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(p->Flush().message(), "injected write failure");
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1, 2}));
  EXPECT_TRUE(p->Flush().ok());
  EXPECT_TRUE(p->Close().ok());
}

// Issue 15 item 2: while a count flush commits, ingest fills the next batch; when that one is full
// too, the ingest call blocks until the commit completes. So the policy holds at most two batches
// (one in flight, one filling), and writes stay in order and never overlap.
TEST(StreamingPolicyTest, IngestFillsTheNextBatchWhileOneCommitsThenBlocks) {
  FakeSink sink;
  auto p = Make(Streaming(3), &sink);
  sink.CloseGate();
  for (int64_t seq = 1; seq <= 3; ++seq) ASSERT_TRUE(p->IngestEvent(MakeEvent("item", seq)).ok());
  ASSERT_TRUE(sink.WaitForEntered(1));  // [1, 2, 3] is committing, held at the gate
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 4)).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 5)).ok());
  std::atomic<int64_t> ingested{5};
  std::thread ingester([&] {
    for (int64_t seq = 6; seq <= 12; ++seq) {
      EXPECT_TRUE(p->IngestEvent(MakeEvent("item", seq)).ok());
      ingested = seq;
    }
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ingested.load(), 5);  // seq 6 completes the second batch and waits for the first
  EXPECT_EQ(p->Stats().total_events, 6u);
  EXPECT_EQ(sink.entered(), 1u);
  sink.OpenGate();
  ingester.join();
  ASSERT_TRUE(p->Flush().ok());
  std::vector<FakeSink::Call> calls = sink.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].seqs, (Seqs{1, 2, 3}));
  EXPECT_EQ(calls[1].seqs, (Seqs{4, 5, 6}));
  EXPECT_EQ(calls[2].seqs, (Seqs{7, 8, 9}));
  EXPECT_EQ(calls[3].seqs, (Seqs{10, 11, 12}));
  EXPECT_FALSE(sink.overlapped());
  EXPECT_EQ(p->Stats().events_persisted, 12u);
}

// The capacity trigger at 50,000 items (without a count trigger).
TEST(StreamingPolicyTest, CapacityFlushAtFiftyThousandItems) {
  FakeSink sink;
  auto p = Make(Streaming(0, std::chrono::hours(1)), &sink);
  for (int64_t seq = 1; seq < 50000; ++seq) ASSERT_TRUE(p->IngestEvent(MakeEvent("log", seq)).ok());
  EXPECT_EQ(sink.entered(), 0u);
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, "x")).ok());  // the 50,000th item
  ASSERT_TRUE(WaitUntil([&] { return sink.calls().size() == 2u; }));
  EXPECT_EQ(sink.calls()[1].seqs.size(), 49999u);
  PolicyStats s = p->Stats();
  EXPECT_EQ(s.flush_triggers->capacity, 1u);
  EXPECT_EQ(s.events_dropped, 0u);  // item 2: never drops
}

// Item 14: at the item cap the ingest call blocks while an earlier flush is still writing, and
// continues, without dropping or failing, once the write completes.
TEST(StreamingPolicyTest, BlocksAtTheItemCapUntilAFlushMakesRoom) {
  FakeSink sink;
  auto p = Make(Streaming(0, std::chrono::milliseconds(5)), &sink);
  sink.CloseGate();
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(sink.WaitForEntered(1));  // an interval flush holds the sink

  // Frames are built up front so the blocked thread does nothing but ingest.
  constexpr int64_t kLast = 50000 + 2;
  std::vector<Event> events;
  for (int64_t seq = 2; seq <= kLast; ++seq) events.push_back(MakeEvent("item", seq));
  std::atomic<int64_t> ingested{1};
  std::atomic<bool> failed{false};
  std::thread ingester([&] {
    for (Event& e : events) {
      if (!p->IngestEvent(std::move(e)).ok()) failed = true;
      ingested.fetch_add(1);
    }
  });
  // Seq 50,001 fills the buffer to 50,000 items; its capacity flush waits for the sink.
  ASSERT_TRUE(WaitUntil([&] { return ingested.load() >= 50000; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ingested.load(), 50000);
  PolicyStats s = p->Stats();
  EXPECT_EQ(s.total_events, 50001u);
  EXPECT_EQ(s.events_dropped, 0u);
  EXPECT_EQ(s.errors, 0u);
  sink.OpenGate();
  ingester.join();
  EXPECT_FALSE(failed.load());
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.Persisted(Kind::kEvents), Range(1, kLast));
  EXPECT_FALSE(sink.overlapped());
  EXPECT_GE(p->Stats().flush_triggers->capacity, 1u);
}

// Item 14: an item that would push the buffer past 128 MiB waits for room; one larger than 128 MiB
// is admitted into an empty buffer (no deadlock).
TEST(StreamingPolicyTest, ByteCapWaitsForRoomAndAdmitsAHugeItemIntoAnEmptyBuffer) {
  FakeSink sink;
  auto p = Make(Streaming(1000), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->IngestChunk(MakeHugeChunk("big", 100u << 20)).ok());
  EXPECT_EQ(sink.entered(), 0u);
  // 100 MiB + 300 + 40 MiB > 128 MiB: a capacity flush first, then admission into the empty buffer.
  ASSERT_TRUE(p->IngestChunk(MakeHugeChunk("big2", 40u << 20)).ok());
  ASSERT_TRUE(WaitUntil([&] { return sink.calls().size() == 2u; }));
  EXPECT_EQ(sink.calls()[0].types, (std::vector<std::string>{"big"}));
  EXPECT_EQ(sink.calls()[1].seqs, (Seqs{1}));
  EXPECT_EQ(p->Stats().buffer_size, 40u << 20);
  // Larger than the cap on its own: flushes what is there, then is admitted alone and flushed.
  ASSERT_TRUE(p->IngestChunk(MakeHugeChunk("huge", (128u << 20) + 1)).ok());
  ASSERT_TRUE(WaitUntil([&] { return sink.calls().size() == 4u; }));
  std::vector<FakeSink::Call> calls = sink.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[2].types, (std::vector<std::string>{"big2"}));
  EXPECT_EQ(calls[3].types, (std::vector<std::string>{"huge"}));
  PolicyStats s = p->Stats();
  EXPECT_EQ(s.flush_triggers->capacity, 3u);
  EXPECT_EQ(s.buffer_size, 0u);
  EXPECT_EQ(s.errors, 0u);
}

// Item 14 with a writer in progress: the over-cap item waits (is not admitted, not counted) until
// the running flush completes.
TEST(StreamingPolicyTest, OverCapItemWaitsForTheRunningFlush) {
  FakeSink sink;
  auto p = Make(Streaming(0, std::chrono::milliseconds(5)), &sink);
  sink.CloseGate();
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(sink.WaitForEntered(1));
  ASSERT_TRUE(p->IngestChunk(MakeHugeChunk("a", 100u << 20)).ok());
  std::atomic<bool> returned{false};
  Status result;
  std::thread ingester([&] {
    result = p->IngestChunk(MakeHugeChunk("b", 60u << 20));
    returned = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(returned.load());
  EXPECT_EQ(p->Stats().total_chunks, 1u);
  sink.OpenGate();
  ingester.join();
  EXPECT_TRUE(result.ok());
  ASSERT_TRUE(p->Close().ok());
  EXPECT_EQ(sink.Persisted(Kind::kChunks).size(), 2u);
  EXPECT_EQ(p->Stats().total_chunks, 2u);
}

// Items 2 and 17 under concurrency: ingest on one thread while interval flushes run on another and
// writes fail at random. Every event is persisted exactly once, in seq order, and writes never
// overlap.
TEST(StreamingPolicyTest, IngestRacingIntervalFlushesLosesAndReordersNothing) {
  FakeSink sink;
  auto p = Make(Streaming(0, std::chrono::milliseconds(1)), &sink);
  constexpr int64_t kEvents = 20000;
  std::vector<Event> events;
  for (int64_t seq = 1; seq <= kEvents; ++seq) {
    events.push_back(MakeEvent(seq % 7 == 0 ? "log" : "item", seq));
  }
  std::atomic<bool> stop{false};
  std::thread chaos([&] {
    std::mt19937 rng(42);
    while (!stop.load()) {
      sink.FailAll(rng() % 4 == 0);
      std::this_thread::sleep_for(std::chrono::microseconds(300));
      (void)p->Stats();
    }
    sink.FailAll(false);
  });
  log::Level saved = log::GetLevel();
  log::SetLevel(log::Level::kError);
  ::testing::internal::CaptureStderr();
  int64_t chunk_seq = 0;
  for (Event& e : events) {
    const int64_t seq = e.seq;
    ASSERT_TRUE(p->IngestEvent(std::move(e)).ok());
    if (seq % 1000 == 0) {
      ASSERT_TRUE(p->IngestChunk(MakeChunk("art", ++chunk_seq, "c")).ok());
    }
    // On a loaded machine the whole loop can finish before the timer thread first runs; the
    // second half must race at least one interval flush.
    if (seq == kEvents / 2) {
      ASSERT_TRUE(WaitUntil([&] { return p->Stats().flush_triggers->interval > 0; }));
    }
  }
  stop = true;
  chaos.join();
  ::testing::internal::GetCapturedStderr();
  log::SetLevel(saved);
  ASSERT_TRUE(p->Flush().ok());

  EXPECT_EQ(sink.Persisted(Kind::kEvents), Range(1, kEvents));
  EXPECT_EQ(sink.Persisted(Kind::kChunks), Range(1, chunk_seq));
  EXPECT_FALSE(sink.overlapped());
  PolicyStats s = p->Stats();
  EXPECT_EQ(s.total_events, static_cast<uint64_t>(kEvents));
  EXPECT_EQ(s.events_persisted, static_cast<uint64_t>(kEvents));
  EXPECT_EQ(s.events_dropped, 0u);
  EXPECT_EQ(s.buffer_size, 0u);
  EXPECT_GT(s.flush_triggers->interval, 0u);
}

// Flushes are serialized: a count flush waits for a running interval flush, and writes are issued
// in order (item 17).
TEST(StreamingPolicyTest, CountFlushWaitsForARunningIntervalFlush) {
  FakeSink sink;
  // After the parked tick the timer waits a whole interval again, long enough for the count flush.
  auto p = Make(Streaming(2, std::chrono::milliseconds(20)), &sink);
  sink.CloseGate();
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(sink.WaitForEntered(1));
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 2)).ok());
  std::atomic<bool> returned{false};
  std::thread ingester([&] {
    EXPECT_TRUE(p->IngestEvent(MakeEvent("item", 3)).ok());  // count flush of [2, 3]
    returned = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(returned.load());
  sink.OpenGate();
  ingester.join();
  ASSERT_TRUE(WaitUntil([&] { return sink.calls().size() == 2u; }));
  std::vector<FakeSink::Call> calls = sink.calls();
  EXPECT_EQ(calls[0].seqs, (Seqs{1}));
  EXPECT_EQ(calls[1].seqs, (Seqs{2, 3}));
  EXPECT_FALSE(sink.overlapped());
}

// The timer stops at close: nothing is written afterwards.
TEST(StreamingPolicyTest, TimerStopsAtClose) {
  FakeSink sink;
  auto p = Make(Streaming(0, std::chrono::milliseconds(2)), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->Close().ok());
  const uint64_t interval = p->Stats().flush_triggers->interval;
  const size_t calls = sink.calls().size();
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(p->Stats().flush_triggers->interval, interval);
  EXPECT_EQ(sink.calls().size(), calls);
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1}));
}

// Destroying an unclosed policy stops its timer too (the orchestrator always closes, but a
// library caller may not).
TEST(StreamingPolicyTest, DestructionWithoutCloseStopsTheTimer) {
  FakeSink sink;
  {
    auto p = Make(Streaming(0, std::chrono::milliseconds(1)), &sink);
    ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  }
  const size_t calls = sink.calls().size();
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(sink.calls().size(), calls);
}

}  // namespace
}  // namespace quarry::policy
