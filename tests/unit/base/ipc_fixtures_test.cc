// Decodes the golden streams of tests/fixtures/ipc (executor-contract.md §22) and checks them
// against their JSON descriptions, then checks fixture-specific details.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "msgpack_builder.h"
#include "quarry/ipc/codec.h"
#include "quarry/json/canonical_json.h"

namespace quarry::ipc {
namespace {

namespace fs = std::filesystem;
using quarry::testing::FromHex;
using quarry::testing::ToHex;

const fs::path kFixtureDir = fs::path(QUARRY_SOURCE_DIR) / "tests" / "fixtures" / "ipc";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Decoded {
  std::vector<Frame> frames;
  std::string error;  // empty when the stream ended cleanly
  std::string stage;  // reader | decode | finish
};

// Runs a stream through the codec the way the ingestion loop does, in small uneven pieces.
Decoded DecodeStream(const std::string& stream) {
  Decoded d;
  FrameReader reader;
  size_t pos = 0;
  for (size_t step = 1; pos < stream.size(); step = step % 13 + 1) {
    const size_t n = std::min(step, stream.size() - pos);
    reader.Feed(std::string_view(stream).substr(pos, n));
    pos += n;
    for (;;) {
      auto next = reader.Next();
      if (!next.ok()) {
        d.error = next.status().message();
        d.stage = "reader";
        return d;
      }
      if (!next->has_value()) break;
      auto frame = DecodeFrame(**next);
      if (!frame.ok()) {
        d.error = frame.status().message();
        d.stage = "decode";
        return d;
      }
      d.frames.push_back(std::move(*frame));
    }
  }
  const Status fin = reader.Finish();
  if (!fin.ok()) {
    d.error = fin.message();
    d.stage = "finish";
  }
  return d;
}

Decoded LoadFixture(const std::string& name) {
  return DecodeStream(ReadFile(kFixtureDir / (name + ".bin")));
}

nlohmann::json LoadDescription(const std::string& name) {
  return nlohmann::json::parse(ReadFile(kFixtureDir / (name + ".json")));
}

// Compares one decoded frame with its summary in the description.
void ExpectMatches(const Frame& frame, const nlohmann::json& want, const std::string& where) {
  SCOPED_TRACE(where);
  const std::string kind = want.at("kind");
  if (kind == "event") {
    const Event* e = std::get_if<Event>(&frame);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->Type(), want.at("type").get<std::string>());
    EXPECT_EQ(e->seq, want.at("seq").get<int64_t>());
    EXPECT_EQ(e->attempt, want.at("attempt").get<int64_t>());
    EXPECT_EQ(e->Get(e->contract_version), want.at("contract_version").get<std::string>());
    EXPECT_EQ(e->payload_keys, want.at("payload_keys").get<uint32_t>());
    EXPECT_EQ(e->Get(e->run_id), "run-001");
    EXPECT_EQ(e->has_job_id, want.contains("job_id"));
    if (want.contains("job_id")) {
      EXPECT_EQ(e->Get(e->job_id), want["job_id"].get<std::string>());
    }
    EXPECT_EQ(e->has_parent_run_id, want.contains("parent_run_id"));
    if (want.contains("parent_run_id")) {
      EXPECT_EQ(e->Get(e->parent_run_id), want["parent_run_id"].get<std::string>());
    }
    if (want.contains("artifact_id")) {
      ASSERT_TRUE(e->has_artifact_id);
      EXPECT_EQ(e->Get(e->artifact_id), want["artifact_id"].get<std::string>());
      ASSERT_TRUE(e->has_artifact_size_bytes);
      EXPECT_EQ(e->artifact_size_bytes, want["size_bytes"].get<uint64_t>());
    }
  } else if (kind == "artifact_chunk") {
    const Chunk* c = std::get_if<Chunk>(&frame);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->ArtifactId(), want.at("artifact_id").get<std::string>());
    EXPECT_EQ(c->seq, want.at("seq").get<int64_t>());
    EXPECT_EQ(c->is_last, want.at("is_last").get<bool>());
    EXPECT_EQ(c->Data().size(), want.at("data_size").get<size_t>());
  } else if (kind == "file_write") {
    const FileWrite* w = std::get_if<FileWrite>(&frame);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->write_id, want.at("write_id").get<uint32_t>());
    EXPECT_EQ(w->Get(w->filename), want.at("filename").get<std::string>());
    EXPECT_EQ(w->Get(w->content_type), want.at("content_type").get<std::string>());
    EXPECT_EQ(w->Get(w->data).size(), want.at("data_size").get<size_t>());
  } else if (kind == "run_result") {
    const RunResultFrame* r = std::get_if<RunResultFrame>(&frame);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, want.at("status").get<std::string>());
    EXPECT_EQ(r->message, want.at("message").get<std::string>());
  } else {
    ADD_FAILURE() << "unexpected frame kind in description: " << kind;
  }
}

std::vector<std::string> FixtureNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kFixtureDir)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(IpcFixtures, EveryFixtureOfSection22IsPresent) {
  const std::vector<std::string> want = {
      "artifact_chunk_then_commit",
      "artifact_size_mismatch",
      "chunk_after_last",
      "chunk_seq_out_of_order",
      "empty_artifact",
      "event_sequence",
      "event_with_lineage",
      "file_write_bad_filename",
      "file_write_then_ack",
      "frame_too_large",
      "full_run",
      "item_event",
      "log_event",
      "missing_type",
      "payload_not_map",
      "run_result_completed",
      "seq_gap",
      "truncated_payload",
      "truncated_prefix",
      "version_mismatch",
  };
  EXPECT_EQ(FixtureNames(), want);
}

TEST(IpcFixtures, StreamsDecodeAsDescribed) {
  for (const std::string& name : FixtureNames()) {
    SCOPED_TRACE(name);
    const nlohmann::json desc = LoadDescription(name);
    const std::string stream = ReadFile(kFixtureDir / (name + ".bin"));
    EXPECT_EQ(stream.size(), desc.at("stream_bytes").get<size_t>());
    const Decoded d = DecodeStream(stream);
    const nlohmann::json& decode = desc.at("decode");
    EXPECT_EQ(d.frames.size(), decode.at("frames").get<size_t>());
    if (decode.at("error").is_null()) {
      EXPECT_EQ(d.error, "");
    } else {
      EXPECT_EQ(d.error, decode["error"].get<std::string>());
      EXPECT_EQ(d.stage, decode.at("stage").get<std::string>());
    }
    const nlohmann::json& frames = desc.at("frames");
    for (size_t i = 0; i < d.frames.size() && i < frames.size(); ++i) {
      ExpectMatches(d.frames[i], frames[i], name + " frame " + std::to_string(i));
    }
  }
}

TEST(IpcFixtures, ItemEventPayload) {
  const Decoded d = LoadFixture("item_event");
  ASSERT_EQ(d.frames.size(), 1u);
  const Event& e = std::get<Event>(d.frames[0]);
  EXPECT_EQ(e.Get(e.event_id), "5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c01");
  // price is float64 on the wire.
  EXPECT_NE(e.Get(e.payload).find(FromHex("cb4058ff5c28f5c28f")), std::string_view::npos);
  std::string json;
  ASSERT_TRUE(json::AppendMsgpackAsJson(e.Get(e.payload), "payload", &json).ok());
  EXPECT_EQ(
      json,
      R"({"data":{"name":"Test Product","price":99.99,"tags":["electronics","sale"]},"item_type":"product"})");
}

TEST(IpcFixtures, LogEventWithUint8Field) {
  const Decoded d = LoadFixture("log_event");
  ASSERT_EQ(d.frames.size(), 1u);
  const Event& e = std::get<Event>(d.frames[0]);
  EXPECT_TRUE(e.Droppable());
  EXPECT_NE(e.Get(e.payload).find(FromHex("a6737461747573ccc8")), std::string_view::npos)
      << "status is encoded as uint8";
  std::string json;
  ASSERT_TRUE(json::AppendMsgpackAsJson(e.Get(e.payload), "payload", &json).ok());
  EXPECT_EQ(
      json,
      R"({"fields":{"status":200,"url":"https://shop.example/p/1"},"level":"info","message":"fetched page"})");
}

TEST(IpcFixtures, EventWithLineageIsATenKeyMap) {
  const std::string stream = ReadFile(kFixtureDir / "event_with_lineage.bin");
  ASSERT_GT(stream.size(), 4u);
  EXPECT_EQ(static_cast<uint8_t>(stream[4]), 0x8a);
  const Decoded d = DecodeStream(stream);
  ASSERT_EQ(d.frames.size(), 1u);
  const Event& e = std::get<Event>(d.frames[0]);
  EXPECT_EQ(e.attempt, 2);
  EXPECT_EQ(e.Get(e.job_id), "job-42");
  EXPECT_EQ(e.Get(e.parent_run_id), "run-000");
}

TEST(IpcFixtures, EventSequenceEndsWithTerminal) {
  const Decoded d = LoadFixture("event_sequence");
  ASSERT_EQ(d.frames.size(), 3u);
  const Event& log = std::get<Event>(d.frames[1]);
  EXPECT_EQ(log.payload_keys, 2u);
  const Event& last = std::get<Event>(d.frames[2]);
  EXPECT_TRUE(IsTerminalEventType(last.Type()));
  EXPECT_EQ(last.Get(last.payload), FromHex("80"));
}

TEST(IpcFixtures, ArtifactChunkCarriesAllByteValues) {
  const Decoded d = LoadFixture("artifact_chunk_then_commit");
  ASSERT_EQ(d.frames.size(), 2u);
  const Chunk& c = std::get<Chunk>(d.frames[0]);
  ASSERT_EQ(c.Data().size(), 256u);
  for (size_t i = 0; i < 256; ++i) EXPECT_EQ(static_cast<uint8_t>(c.Data()[i]), i);
  const Event& commit = std::get<Event>(d.frames[1]);
  EXPECT_EQ(commit.Get(commit.artifact_name), "bytes.bin");
  EXPECT_EQ(commit.Get(commit.artifact_content_type), "application/octet-stream");
  EXPECT_EQ(commit.artifact_size_bytes, c.Data().size());
}

TEST(IpcFixtures, EmptyArtifact) {
  const Decoded d = LoadFixture("empty_artifact");
  ASSERT_EQ(d.frames.size(), 2u);
  EXPECT_EQ(std::get<Chunk>(d.frames[0]).Data(), "");
  EXPECT_TRUE(std::get<Chunk>(d.frames[0]).is_last);
  EXPECT_EQ(std::get<Event>(d.frames[1]).artifact_size_bytes, 0u);
  EXPECT_TRUE(std::get<Event>(d.frames[1]).has_artifact_size_bytes);
}

TEST(IpcFixtures, FileWriteIsAnsweredWithTheExactAck) {
  const std::string stream = ReadFile(kFixtureDir / "file_write_then_ack.bin");
  EXPECT_EQ(
      ToHex(stream),
      "0000005285a474797065aa66696c655f7772697465a877726974655f696401a866696c656e616d65a6612e"
      "6a736f6eac636f6e74656e745f74797065b06170706c69636174696f6e2f6a736f6ea464617461c4027b7d");
  const Decoded d = DecodeStream(stream);
  ASSERT_EQ(d.frames.size(), 1u);
  const FileWrite& w = std::get<FileWrite>(d.frames[0]);
  const std::string ack = EncodeFileWriteAck(w.write_id, true, "");
  EXPECT_EQ(ToHex(ack), LoadDescription("file_write_then_ack")["expected_runtime"]["ack_hex"]);
}

TEST(IpcFixtures, RunResultCompletedIsTheContractExample) {
  EXPECT_EQ(ToHex(ReadFile(kFixtureDir / "run_result_completed.bin")),
            "0000004182a474797065aa72756e5f726573756c74a76f7574636f6d6582a6737461747573a9636f6d706c"
            "65746564a76d657373616765ad72756e20636f6d706c65746564");
}

TEST(IpcFixtures, NegativeFixturesThatDecode) {
  // These are the runtime's to reject (version, seq, artifact and filename rules), so the
  // codec must hand them over intact.
  const Decoded v = LoadFixture("version_mismatch");
  ASSERT_EQ(v.frames.size(), 1u);
  const Event& ev = std::get<Event>(v.frames[0]);
  EXPECT_EQ(ev.Get(ev.contract_version), "0.14.0");
  EXPECT_FALSE(ContractVersionAccepted(ev.Get(ev.contract_version)));

  const Decoded gap = LoadFixture("seq_gap");
  ASSERT_EQ(gap.frames.size(), 2u);
  EXPECT_EQ(std::get<Event>(gap.frames[1]).seq, std::get<Event>(gap.frames[0]).seq + 2);

  const Decoded first = LoadFixture("chunk_seq_out_of_order");
  ASSERT_EQ(first.frames.size(), 1u);
  EXPECT_EQ(std::get<Chunk>(first.frames[0]).seq, 2);

  const Decoded after = LoadFixture("chunk_after_last");
  ASSERT_EQ(after.frames.size(), 2u);
  EXPECT_TRUE(std::get<Chunk>(after.frames[0]).is_last);

  const Decoded size = LoadFixture("artifact_size_mismatch");
  ASSERT_EQ(size.frames.size(), 2u);
  EXPECT_EQ(std::get<Chunk>(size.frames[0]).Data().size(), 3u);
  EXPECT_EQ(std::get<Event>(size.frames[1]).artifact_size_bytes, 4u);

  const Decoded bad = LoadFixture("file_write_bad_filename");
  ASSERT_EQ(bad.frames.size(), 1u);
  const FileWrite& w = std::get<FileWrite>(bad.frames[0]);
  EXPECT_EQ(w.Get(w.filename), "../x");
}

}  // namespace
}  // namespace quarry::ipc
