// Envelope validation, seq and terminal rules, artifacts and sidecar acks of the runtime's
// ingestion (executor-contract.md §8.2, §9–§12, §16.2), driven with real decoded frames.
#include "run/ingestor.h"

#include <gtest/gtest.h>

#include <vector>

#include "frames.h"
#include "quarry/ipc/codec.h"
#include "quarry/lode/store.h"

namespace quarry::run {
namespace {

using testing::ArtifactCommit;
using testing::ChunkFrame;
using testing::Envelope;
using testing::FileWriteFrame;

class RecordingPolicy : public policy::Policy {
 public:
  std::string_view Name() const override { return "recording"; }
  Status IngestEvent(Event e) override {
    types.emplace_back(e.Type());
    seqs.push_back(e.seq);
    return fail_events ? IOError("store down") : Status::Ok();
  }
  Status IngestChunk(Chunk c) override {
    chunk_offsets.push_back(c.offset);
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  Status Close() override { return Status::Ok(); }
  policy::PolicyStats Stats() const override { return {}; }

  std::vector<std::string> types;
  std::vector<int64_t> seqs;
  std::vector<uint64_t> chunk_offsets;
  bool fail_events = false;
};

class IngestorTest : public ::testing::Test {
 protected:
  IngestorTest() : store_(lode::NewMemStore()) {
    lode::RunDescriptor d;
    d.run_id = "run-1";
    d.source = "src";
    d.day = "2026-03-22";
    d.policy = "strict";
    d.executor = "executor.mjs";
    d.started_at = "2026-03-22T09:15:00.000Z";
    writer_ = std::make_unique<lode::RunWriter>(store_, d);
    ingestor_ = std::make_unique<Ingestor>(meta_, &policy_, writer_.get(), nullptr, nullptr);
  }

  std::optional<IngestError> Feed(FrameBytes f) {
    return ingestor_->OnPayload(std::move(f), &acks_);
  }

  RunMeta meta_{"run-1", 1, std::nullopt, std::nullopt};
  RecordingPolicy policy_;
  std::shared_ptr<lode::Store> store_;
  std::unique_ptr<lode::RunWriter> writer_;
  std::unique_ptr<Ingestor> ingestor_;
  std::string acks_;
};

TEST_F(IngestorTest, AcceptsContiguousSeqAndRecordsTheTerminal) {
  EXPECT_FALSE(Feed(Envelope("item", 1)));
  EXPECT_FALSE(Feed(Envelope("log", 2)));
  EXPECT_FALSE(Feed(Envelope("run_complete", 3)));
  EXPECT_EQ(policy_.types, (std::vector<std::string>{"item", "log", "run_complete"}));
  ASSERT_TRUE(ingestor_->terminal());
  EXPECT_EQ(ingestor_->terminal()->type, "run_complete");
  EXPECT_EQ(ingestor_->last_seq(), 3);
}

TEST_F(IngestorTest, SeqGapsAndRepeatsAreStreamErrors) {
  EXPECT_FALSE(Feed(Envelope("item", 1)));
  auto gap = Feed(Envelope("item", 3));
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->kind, IngestErrorKind::kStream);
  EXPECT_EQ(gap->message, "seq violation: got 3, expected 2");
}

TEST_F(IngestorTest, ContractVersionRuleD1) {
  for (const char* ok : {"0.13.0", "0.13.4", "0.13.9"}) {
    RecordingPolicy p;
    Ingestor ing(meta_, &p, nullptr, nullptr, nullptr);
    std::string acks;
    EXPECT_FALSE(ing.OnPayload(Envelope("item", 1, "run-1", 1, ok), &acks)) << ok;
  }
  for (const char* bad : {"0.12.9", "0.14.0", "1.0.0", "0.1.0", ""}) {
    RecordingPolicy p;
    Ingestor ing(meta_, &p, nullptr, nullptr, nullptr);
    std::string acks;
    auto e = ing.OnPayload(Envelope("item", 1, "run-1", 1, bad), &acks);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->kind, IngestErrorKind::kVersion) << bad;
  }
}

TEST_F(IngestorTest, RunIdAndAttemptMustMatch) {
  auto e = Feed(Envelope("item", 1, "other-run"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, IngestErrorKind::kStream);
  auto f = ingestor_->OnPayload(Envelope("item", 1, "run-1", 2), &acks_);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, IngestErrorKind::kStream);
}

TEST_F(IngestorTest, D11_3_NothingAfterTheTerminalReachesThePolicy) {
  EXPECT_FALSE(Feed(Envelope("run_complete", 1)));
  EXPECT_FALSE(Feed(Envelope("run_error", 2)));  // second terminal: seq-checked, ignored
  EXPECT_FALSE(Feed(Envelope("item", 3)));
  EXPECT_FALSE(Feed(ChunkFrame("late", 1, true, "x")));
  EXPECT_EQ(policy_.types, (std::vector<std::string>{"run_complete"}));
  EXPECT_TRUE(policy_.chunk_offsets.empty());
  EXPECT_EQ(ingestor_->post_terminal_frames(), 3u);
  EXPECT_EQ(ingestor_->last_seq(), 3) << "consumed post-terminal events advance event_count";
  EXPECT_EQ(ingestor_->terminal()->type, "run_complete");
  // Still seq-checked after the terminal.
  auto gap = Feed(Envelope("item", 9));
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->kind, IngestErrorKind::kStream);
  // And version-checked.
  auto ver = Feed(Envelope("item", 4, "run-1", 1, "0.14.0"));
  ASSERT_TRUE(ver);
  EXPECT_EQ(ver->kind, IngestErrorKind::kVersion);
}

TEST_F(IngestorTest, UnknownEventTypesAreStored) {
  EXPECT_FALSE(Feed(Envelope("page_stats", 1)));
  EXPECT_EQ(policy_.types, (std::vector<std::string>{"page_stats"}));
}

TEST_F(IngestorTest, ArtifactChunksGetOffsetsAndCommitIsChecked) {
  EXPECT_FALSE(Feed(ChunkFrame("a", 1, false, "abcd")));
  EXPECT_FALSE(Feed(ChunkFrame("a", 2, true, "ef")));
  EXPECT_FALSE(Feed(ArtifactCommit(1, "a", 6)));
  EXPECT_EQ(policy_.chunk_offsets, (std::vector<uint64_t>{0, 4}));
  ArtifactStats s = ingestor_->artifact_stats();
  EXPECT_EQ(s.committed, 1u);
  EXPECT_EQ(s.bytes, 6u);

  auto mismatch = Feed(ArtifactCommit(2, "a", 7));  // committed twice
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->kind, IngestErrorKind::kStream);
  EXPECT_EQ(ingestor_->last_seq(), 1) << "a rejected event is not counted in event_count";
}

TEST_F(IngestorTest, ArtifactSizeMismatchIsFatal) {
  EXPECT_FALSE(Feed(ChunkFrame("a", 1, true, "abc")));
  auto e = Feed(ArtifactCommit(1, "a", 4));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, IngestErrorKind::kStream);
  EXPECT_NE(e->message.find("size mismatch"), std::string::npos);
}

TEST_F(IngestorTest, ChunkSeqTwoFirstIsFatal) {
  auto e = Feed(ChunkFrame("a", 2, false, "x"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, IngestErrorKind::kStream);
}

TEST_F(IngestorTest, FileWriteAcksSuccessAndRecoverableFailure) {
  EXPECT_FALSE(Feed(FileWriteFrame(1, "a.json", "{}")));
  EXPECT_EQ(acks_, ipc::EncodeFileWriteAck(1, true, ""));
  acks_.clear();
  EXPECT_FALSE(Feed(FileWriteFrame(2, "a.json", "{}")));  // duplicate: storage failure, recoverable
  ASSERT_FALSE(acks_.empty());
  EXPECT_NE(acks_.find("already exists"), std::string::npos);
  EXPECT_EQ(ingestor_->sidecar_failures(), 1u);
  acks_.clear();
  EXPECT_FALSE(Feed(FileWriteFrame(0, "legacy.txt", "x")));  // write_id 0: no ack
  EXPECT_TRUE(acks_.empty());
}

// Names the layout cannot store unambiguously are refused with an error ack, and the run goes on:
// the contract's fatal checks (§8.2 steps 2-4) stay exactly what they were.
TEST_F(IngestorTest, ReservedAndNonUtf8FilenamesGetAnErrorAck) {
  EXPECT_FALSE(Feed(FileWriteFrame(1, "x.meta.json", "{}")));
  EXPECT_EQ(acks_, ipc::EncodeFileWriteAck(1, false,
                                           "invalid sidecar filename \"x.meta.json\": names ending "
                                           "in \".meta.json\" are reserved for the content-type "
                                           "companions of sidecar files"));
  acks_.clear();
  EXPECT_FALSE(Feed(FileWriteFrame(2, "a\xff", "x")));  // and no exception from the log line
  EXPECT_NE(acks_.find("not valid UTF-8"), std::string::npos);
  acks_.clear();
  EXPECT_FALSE(Feed(FileWriteFrame(3, "x", "{}")));
  EXPECT_EQ(acks_, ipc::EncodeFileWriteAck(3, true, ""));
  EXPECT_EQ(ingestor_->sidecar_failures(), 2u);
}

TEST_F(IngestorTest, FileWriteValidationFailuresAreFatal) {
  for (const char* bad : {"../x", "a/b", "a\\b", ""}) {
    auto e = Feed(FileWriteFrame(1, bad, "x"));
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->kind, IngestErrorKind::kStream);
  }
  Ingestor no_storage(meta_, &policy_, nullptr, nullptr, nullptr);
  std::string acks;
  auto e = no_storage.OnPayload(FileWriteFrame(1, "ok.txt", "x"), &acks);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("no storage configured"), std::string::npos);
}

TEST_F(IngestorTest, FileWriteAfterTheTerminalGetsTheRefusalAck) {
  EXPECT_FALSE(Feed(Envelope("run_complete", 1)));
  EXPECT_FALSE(Feed(FileWriteFrame(2, "late.txt", "x")));
  EXPECT_EQ(acks_, ipc::EncodeFileWriteAck(2, false, "run already terminated"));
}

TEST_F(IngestorTest, PolicyErrorsArePolicyFailures) {
  policy_.fail_events = true;
  auto e = Feed(Envelope("item", 1));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, IngestErrorKind::kPolicy);
}

TEST_F(IngestorTest, DecodeErrorsAreClassified) {
  auto e = Feed(std::make_shared<const std::string>("\x91\x01", 2));  // an array, not a map
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, IngestErrorKind::kDecode);
}

TEST_F(IngestorTest, ReadErrorsAfterTheTerminalEndTheStreamNormally) {
  EXPECT_TRUE(ingestor_->OnReadError(DataLossError("truncated frame")));
  EXPECT_FALSE(Feed(Envelope("run_complete", 1)));
  EXPECT_FALSE(ingestor_->OnReadError(DataLossError("truncated frame")));
}

TEST_F(IngestorTest, RunErrorPayloadFieldsAreKept) {
  EXPECT_FALSE(Feed(Envelope("run_error", 1, "run-1", 1, "0.13.4", [](testing::Packer& pk) {
    pk.pack_map(3);
    pk.pack("error_type");
    pk.pack("script_error");
    pk.pack("message");
    pk.pack("boom");
    pk.pack("stack");
    pk.pack("Error: boom\n    at run");
  })));
  ASSERT_TRUE(ingestor_->terminal());
  EXPECT_EQ(ingestor_->terminal()->message, "boom");
  EXPECT_EQ(ingestor_->terminal()->stack, "Error: boom\n    at run");
  EXPECT_EQ(ingestor_->terminal()->payload_json,
            R"({"error_type":"script_error","message":"boom","stack":"Error: boom\n    at run"})");
}

}  // namespace
}  // namespace quarry::run
