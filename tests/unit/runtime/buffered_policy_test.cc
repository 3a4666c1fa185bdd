// buffered (storage-and-policies.md §3.6; checklist §10 items 5–11): admission, drop and eviction
// rules, limits, the three flush modes and their retry semantics, and buffer swapping during a
// write.
#include <gtest/gtest.h>

#include <string>
#include <thread>
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
using Seqs = std::vector<int64_t>;

PolicyConfig Buffered(int64_t events, int64_t bytes, std::string mode = "at_least_once") {
  PolicyConfig c;
  c.name = "buffered";
  c.buffer_events = events;
  c.buffer_bytes = bytes;
  c.flush_mode = std::move(mode);
  return c;
}

std::unique_ptr<Policy> Make(const PolicyConfig& config, FakeSink* sink) {
  auto p = NewPolicy(config, sink);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return std::move(p).value();
}

std::vector<Kind> Kinds(const FakeSink& sink) {
  std::vector<Kind> out;
  for (const auto& c : sink.calls()) out.push_back(c.kind);
  return out;
}

// Item 5, and the D10 shape: nothing reaches the sink until the end-of-run flush, which then makes
// exactly one chunk write followed by one event write.
TEST(BufferedPolicyTest, WritesNothingBeforeTheFlushThenOneChunkAndOneEventWrite) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1 << 30), &sink);
  for (int64_t seq = 1; seq <= 1000; ++seq) {
    ASSERT_TRUE(p->IngestEvent(MakeEvent(seq % 10 == 0 ? "log" : "item", seq)).ok());
    if (seq % 100 == 0) {
      ASSERT_TRUE(p->IngestChunk(MakeChunk("art", seq / 100, "0123456789")).ok());
    }
  }
  EXPECT_EQ(sink.entered(), 0u);
  PolicyStats s = p->Stats();
  EXPECT_EQ(s.total_events, 1000u);
  EXPECT_EQ(s.events_persisted, 0u);
  EXPECT_EQ(s.total_chunks, 10u);
  EXPECT_EQ(s.buffer_size, 1000u * 300 + 10 * 10);
  EXPECT_FALSE(s.flush_triggers.has_value());

  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(Kinds(sink), (std::vector<Kind>{Kind::kChunks, Kind::kEvents}));
  Seqs expected;
  for (int64_t seq = 1; seq <= 1000; ++seq) expected.push_back(seq);
  EXPECT_EQ(sink.Persisted(Kind::kEvents), expected);
  EXPECT_EQ(sink.Persisted(Kind::kChunks), (Seqs{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  s = p->Stats();
  EXPECT_EQ(s.events_persisted, 1000u);
  EXPECT_EQ(s.chunks_persisted, 10u);
  EXPECT_EQ(s.buffer_size, 0u);
  EXPECT_EQ(s.flush_count, 1u);
  EXPECT_EQ(s.errors, 0u);
}

// Item 6.
TEST(BufferedPolicyTest, FullBufferDropsAnIncomingDroppableEventWithoutError) {
  FakeSink sink;
  auto p = Make(Buffered(2, 0), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 2)).ok());
  ::testing::internal::CaptureStderr();
  EXPECT_TRUE(p->IngestEvent(MakeEvent("log", 3)).ok());
  EXPECT_TRUE(p->IngestEvent(MakeEvent("rotate_proxy", 4)).ok());
  const std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logs.find(R"("message":"event dropped")"), std::string::npos) << logs;
  EXPECT_NE(
      logs.find(R"("fields":{"event_type":"log","policy":"buffered","reason":"buffer_full"})"),
      std::string::npos)
      << logs;

  PolicyStats s = p->Stats();
  EXPECT_EQ(s.total_events, 4u);
  EXPECT_EQ(s.events_dropped, 2u);
  EXPECT_EQ(s.dropped_by_type, (std::map<std::string, uint64_t>{{"log", 1}, {"rotate_proxy", 1}}));
  EXPECT_EQ(s.errors, 0u);
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1, 2}));
}

// Item 7: one oldest droppable victim per incoming non-droppable event; nothing droppable left
// fails the admission.
TEST(BufferedPolicyTest, NonDroppableEvictsTheOldestDroppableOneAtATime) {
  FakeSink sink;
  auto p = Make(Buffered(3, 0), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("log", 1)).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 2)).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("enqueue", 3)).ok());
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 4)).ok());        // evicts log 1
  ASSERT_TRUE(p->IngestEvent(MakeEvent("checkpoint", 5)).ok());  // evicts enqueue 3
  Status full = p->IngestEvent(MakeEvent("run_complete", 6));
  const std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(full.message(), "buffer full: cannot accept non-droppable event");
  EXPECT_NE(
      logs.find(R"("event_type":"log","policy":"buffered","reason":"evicted_for_non_droppable")"),
      std::string::npos)
      << logs;
  EXPECT_NE(logs.find(R"("level":"error","message":"buffer overflow")"), std::string::npos) << logs;

  PolicyStats s = p->Stats();
  EXPECT_EQ(s.total_events, 6u);
  EXPECT_EQ(s.events_dropped, 2u);
  EXPECT_EQ(s.dropped_by_type, (std::map<std::string, uint64_t>{{"enqueue", 1}, {"log", 1}}));
  EXPECT_EQ(s.errors, 1u);
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{2, 4, 5}));
}

// Item 7: after the eviction only the byte limit is checked again, and a victim stays dropped even
// when the incoming event still does not fit. Never more than one victim.
TEST(BufferedPolicyTest, EvictionRechecksOnlyBytesAndTakesAtMostOneVictim) {
  FakeSink sink;
  auto p = Make(Buffered(0, 900), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("log", 1)).ok());   // 300
  ASSERT_TRUE(p->IngestEvent(MakeEvent("log", 2)).ok());   // 600
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 3)).ok());  // 900: full
  // 500 bytes: one 300-byte victim leaves 600 + 500 > 900.
  ::testing::internal::CaptureStderr();
  Status s = p->IngestEvent(MakeEvent("item", 4, /*payload_keys=*/6));
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.message(), "buffer full: cannot accept non-droppable event");
  EXPECT_EQ(p->Stats().events_dropped, 1u);
  EXPECT_EQ(p->Stats().buffer_size, 600u);
  // 300 bytes fit again without eviction; the next 300 bytes need the second log's room.
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 5)).ok());
  EXPECT_EQ(p->Stats().events_dropped, 1u);
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 6)).ok());
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(p->Stats().events_dropped, 2u);
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{3, 5, 6}));
}

// Item 1 under pressure: only the droppable types are ever dropped; every other type, unknown
// ones included, fails instead.
TEST(BufferedPolicyTest, OnlyTheThreeDroppableTypesAreEverDropped) {
  FakeSink sink;
  auto p = Make(Buffered(1, 0), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  int64_t seq = 2;
  ::testing::internal::CaptureStderr();
  for (const char* type : {"log", "enqueue", "rotate_proxy"}) {
    EXPECT_TRUE(p->IngestEvent(MakeEvent(type, seq++)).ok()) << type;
  }
  for (const char* type : {"item", "artifact", "checkpoint", "run_error", "run_complete",
                           "custom_thing", "Log", "logs"}) {
    EXPECT_FALSE(p->IngestEvent(MakeEvent(type, seq++)).ok()) << type;
  }
  ::testing::internal::GetCapturedStderr();
  PolicyStats s = p->Stats();
  EXPECT_EQ(s.dropped_by_type,
            (std::map<std::string, uint64_t>{{"enqueue", 1}, {"log", 1}, {"rotate_proxy", 1}}));
  EXPECT_EQ(s.events_dropped, 3u);
  EXPECT_EQ(s.errors, 8u);
  EXPECT_EQ(s.total_events, 12u);
}

// Item 8.
TEST(BufferedPolicyTest, ChunkWithoutAByteLimitFailsTheRun) {
  FakeSink sink;
  auto p = Make(Buffered(10, 0), &sink);
  Status s = p->IngestChunk(MakeChunk("art", 1, "abc"));
  EXPECT_EQ(s.message(), "buffer full: chunk buffering requires a byte limit (--buffer-bytes)");
  EXPECT_EQ(p->Stats().errors, 1u);
  EXPECT_EQ(p->Stats().total_chunks, 1u);
}

// Item 8: no eviction is tried for chunks, even with droppable events buffered.
TEST(BufferedPolicyTest, ChunkOverTheRemainingBytesFailsWithoutEviction) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1000), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("log", 1)).ok());
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, std::string(700, 'a'))).ok());  // exactly 1000
  Status s = p->IngestChunk(MakeChunk("art", 2, "b"));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("buffer full: ", 0), 0u) << s.message();
  PolicyStats st = p->Stats();
  EXPECT_EQ(st.events_dropped, 0u);
  EXPECT_EQ(st.errors, 1u);
  EXPECT_EQ(st.buffer_size, 1000u);
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1}));
  EXPECT_EQ(sink.Persisted(Kind::kChunks), (Seqs{1}));
}

// Chunks share the byte budget but not the event count.
TEST(BufferedPolicyTest, ChunksDoNotCountAgainstTheEventLimit) {
  FakeSink sink;
  auto p = Make(Buffered(1, 10000), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  for (int64_t i = 1; i <= 5; ++i) ASSERT_TRUE(p->IngestChunk(MakeChunk("art", i, "xyz")).ok());
  EXPECT_EQ(p->Stats().buffer_size, 300u + 15);
}

class BufferedModeTest : public ::testing::TestWithParam<std::string> {};

// Item 10 (D11.6): chunks before events in every mode, whatever the ingest order.
TEST_P(BufferedModeTest, WritesChunksBeforeEvents) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1 << 20, GetParam()), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, "abc")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("artifact", 2)).ok());
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(Kinds(sink), (std::vector<Kind>{Kind::kChunks, Kind::kEvents}));
  // Empty flushes write nothing but still count (item 16).
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.calls().size(), 2u);
  EXPECT_EQ(p->Stats().flush_count, 2u);
}

// The buffers are swapped out for the write: an event admitted while a write is in progress is
// neither written by it nor lost when it completes.
TEST_P(BufferedModeTest, AdmissionDuringAWriteIsKeptForTheNextFlush) {
  for (bool fail : {false, true}) {
    SCOPED_TRACE(fail ? "failing write" : "successful write");
    FakeSink sink;
    auto p = Make(Buffered(0, 1 << 20, GetParam()), &sink);
    ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
    if (fail) sink.FailNext(Kind::kEvents, 1);
    sink.CloseGate();
    Status flushed;
    ::testing::internal::CaptureStderr();
    std::thread flusher([&] { flushed = p->Flush(); });
    ASSERT_TRUE(sink.WaitForEntered(1));
    ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 2)).ok());  // must not wait for the write
    sink.OpenGate();
    flusher.join();
    ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(flushed.ok(), !fail);
    EXPECT_EQ(p->Stats().buffer_size, fail ? 600u : 300u);
    ASSERT_TRUE(p->Flush().ok());
    EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1, 2}));
    EXPECT_EQ(sink.calls().back().seqs, fail ? (Seqs{1, 2}) : (Seqs{2}));
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, BufferedModeTest,
                         ::testing::Values("at_least_once", "chunks_first", "two_phase"));

// Item 11: at_least_once keeps everything after a failed event write, so the retry writes the
// chunks again (duplicates by design) and then the events.
TEST(BufferedPolicyTest, AtLeastOnceRetryRewritesChunksAndEvents) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1 << 20, "at_least_once"), &sink);
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, "abc")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  sink.FailNext(Kind::kEvents, 1);
  ::testing::internal::CaptureStderr();
  Status s = p->Flush();
  const std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.message(), "injected write failure");
  EXPECT_NE(logs.find(R"("message":"flush failed")"), std::string::npos) << logs;
  EXPECT_NE(
      logs.find(R"({"buffer_type":"events","error":"injected write failure","policy":"buffered"})"),
      std::string::npos)
      << logs;
  PolicyStats st = p->Stats();
  EXPECT_EQ(st.errors, 1u);
  EXPECT_EQ(st.chunks_persisted, 1u);
  EXPECT_EQ(st.events_persisted, 0u);
  EXPECT_EQ(st.buffer_size, 303u);

  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(Kinds(sink),
            (std::vector<Kind>{Kind::kChunks, Kind::kEvents, Kind::kChunks, Kind::kEvents}));
  EXPECT_EQ(sink.Persisted(Kind::kChunks), (Seqs{1, 1}));
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1}));
  st = p->Stats();
  EXPECT_EQ(st.chunks_persisted, 2u);
  EXPECT_EQ(st.events_persisted, 1u);
  EXPECT_EQ(st.buffer_size, 0u);
  EXPECT_EQ(st.flush_count, 2u);
}

TEST(BufferedPolicyTest, AtLeastOnceChunkFailureKeepsEverythingAndSkipsEvents) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1 << 20, "at_least_once"), &sink);
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, "abc")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  sink.FailNext(Kind::kChunks, 1);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(p->Flush().ok());
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(Kinds(sink), (std::vector<Kind>{Kind::kChunks}));
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.Persisted(Kind::kChunks), (Seqs{1}));
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1}));
}

// Item 11: chunks_first drops the written chunks after a failed event write.
TEST(BufferedPolicyTest, ChunksFirstRetryDoesNotRewriteChunks) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1 << 20, "chunks_first"), &sink);
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, "abc")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  sink.FailNext(Kind::kEvents, 1);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(p->Flush().ok());
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(p->Stats().buffer_size, 300u);
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 2, "d")).ok());
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(Kinds(sink),
            (std::vector<Kind>{Kind::kChunks, Kind::kEvents, Kind::kChunks, Kind::kEvents}));
  EXPECT_EQ(sink.Persisted(Kind::kChunks), (Seqs{1, 2}));  // chunk 1 once
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1}));
}

TEST(BufferedPolicyTest, ChunksFirstChunkFailureKeepsEverything) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1 << 20, "chunks_first"), &sink);
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, "abc")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  sink.FailNext(Kind::kChunks, 1);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(p->Flush().ok());
  ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.Persisted(Kind::kChunks), (Seqs{1}));
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1}));
  EXPECT_EQ(p->Stats().errors, 1u);
}

// Item 11: two_phase never rewrites a written half, and what was admitted after a partial flush
// is written on the retry (chunks via the secondary buffer, events still into the primary).
TEST(BufferedPolicyTest, TwoPhaseRetryWritesOnlyWhatIsNotYetWritten) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1 << 20, "two_phase"), &sink);
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, "abc")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 2)).ok());

  // Flush 1: primary chunks written (mark set), primary events fail.
  sink.FailNext(Kind::kEvents, 1);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(p->Flush().ok());
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 2, "de")).ok());  // -> secondary chunks
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 3)).ok());       // -> primary events

  // Flush 2: primary chunks skipped, secondary chunks fail.
  sink.FailNext(Kind::kChunks, 1);
  EXPECT_FALSE(p->Flush().ok());
  ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 3, "f")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 4)).ok());

  // Flush 3: secondary chunks, then all primary events, once each.
  ASSERT_TRUE(p->Flush().ok());
  std::vector<FakeSink::Call> calls = sink.calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[0].seqs, (Seqs{1}));     // chunks ok
  EXPECT_EQ(calls[1].seqs, (Seqs{1, 2}));  // events failed
  EXPECT_EQ(calls[2].seqs, (Seqs{2}));     // secondary chunks failed
  EXPECT_EQ(calls[3].kind, Kind::kChunks);
  EXPECT_EQ(calls[3].seqs, (Seqs{2, 3}));
  EXPECT_EQ(calls[4].kind, Kind::kEvents);
  EXPECT_EQ(calls[4].seqs, (Seqs{1, 2, 3, 4}));
  EXPECT_EQ(sink.Persisted(Kind::kChunks), (Seqs{1, 2, 3}));
  PolicyStats st = p->Stats();
  EXPECT_EQ(st.chunks_persisted, 3u);
  EXPECT_EQ(st.events_persisted, 4u);
  EXPECT_EQ(st.errors, 2u);
  EXPECT_EQ(st.buffer_size, 0u);

  // Both marks are reset: the next run of admissions starts from the primary buffers again.
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 4, "g")).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 5)).ok());
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(sink.Persisted(Kind::kChunks), (Seqs{1, 2, 3, 4}));
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1, 2, 3, 4, 5}));
}

// While a flush is outstanding, written items still occupy the buffer (two_phase keeps the written
// primary chunks until full success), so the limits stay honest.
TEST(BufferedPolicyTest, TwoPhaseKeepsWrittenChunksAccountedUntilFullSuccess) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1000, "two_phase"), &sink);
  ASSERT_TRUE(p->IngestChunk(MakeChunk("art", 1, std::string(600, 'c'))).ok());
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  sink.FailNext(Kind::kEvents, 1);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(p->Flush().ok());
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(p->Stats().buffer_size, 900u);
  EXPECT_FALSE(p->IngestChunk(MakeChunk("art", 2, std::string(101, 'c'))).ok());
  ASSERT_TRUE(p->Flush().ok());
  EXPECT_EQ(p->Stats().buffer_size, 0u);
}

// §3.8: Close makes one more best-effort flush (the retry after a failed end-of-run flush) and
// then refuses further input.
TEST(BufferedPolicyTest, CloseRetriesAFailedFlushOnceAndThenRefusesInput) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1 << 20), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  sink.FailNext(Kind::kEvents, 1);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(p->Flush().ok());
  ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(p->Close().ok());
  EXPECT_EQ(sink.Persisted(Kind::kEvents), (Seqs{1}));
  EXPECT_FALSE(p->IngestEvent(MakeEvent("item", 2)).ok());
  EXPECT_FALSE(p->IngestChunk(MakeChunk("art", 1, "x")).ok());
  EXPECT_TRUE(p->Close().ok());
  EXPECT_EQ(sink.calls().size(), 2u);
}

TEST(BufferedPolicyTest, CloseAfterASuccessfulFlushWritesNothing) {
  FakeSink sink;
  auto p = Make(Buffered(0, 1 << 20), &sink);
  ASSERT_TRUE(p->IngestEvent(MakeEvent("item", 1)).ok());
  ASSERT_TRUE(p->Flush().ok());
  ASSERT_TRUE(p->Close().ok());
  EXPECT_EQ(sink.calls().size(), 1u);
}

// Many evictions stay cheap and keep the order of the survivors.
TEST(BufferedPolicyTest, ManyEvictionsKeepSurvivorOrder) {
  FakeSink sink;
  auto p = Make(Buffered(1000, 0), &sink);
  log::Level saved = log::GetLevel();
  log::SetLevel(log::Level::kError);
  for (int64_t seq = 1; seq <= 1000; ++seq) ASSERT_TRUE(p->IngestEvent(MakeEvent("log", seq)).ok());
  for (int64_t seq = 1001; seq <= 2000; ++seq) {
    ASSERT_TRUE(p->IngestEvent(MakeEvent("item", seq)).ok());
  }
  log::SetLevel(saved);
  EXPECT_EQ(p->Stats().events_dropped, 1000u);
  ASSERT_TRUE(p->Flush().ok());
  Seqs expected;
  for (int64_t seq = 1001; seq <= 2000; ++seq) expected.push_back(seq);
  EXPECT_EQ(sink.Persisted(Kind::kEvents), expected);
}

}  // namespace
}  // namespace quarry::policy
