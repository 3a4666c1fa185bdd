// Record encoding and the writer's refusals (storage-and-policies.md §4.8-§4.10).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>

#include "lode/mem_store.h"
#include "lode/records.h"
#include "lode/test_events.h"
#include "lode/test_support.h"
#include "quarry/lode/reader.h"
#include "quarry/lode/run_writer.h"

namespace quarry::lode {
namespace {

using testing::EventSpec;
using testing::MakeChunk;
using testing::MakeEvent;
using testing::Pack;
using testing::Packer;
using testing::PackStr;

constexpr size_t kMiB = 1024 * 1024;

std::string DecodeBase64(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) break;  // padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// The fields of artifact_chunk lines, read without a JSON parser: multi-MiB lines make a
// general parser the slowest part of these tests under the sanitizers.
struct Piece {
  uint64_t seq = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  bool is_last = false;
  std::string data;
  size_t line_bytes = 0;
};

std::string_view After(std::string_view line, std::string_view key) {
  const size_t at = line.find(key);
  return at == std::string_view::npos ? std::string_view() : line.substr(at + key.size());
}

uint64_t IntField(std::string_view line, std::string_view key) {
  return std::stoull(std::string(After(line, key).substr(0, 20)));
}

std::vector<Piece> ParsePieces(std::string_view bytes) {
  std::vector<Piece> out;
  while (!bytes.empty()) {
    const size_t nl = bytes.find('\n');
    const std::string_view line = bytes.substr(0, nl);
    bytes = nl == std::string_view::npos ? std::string_view() : bytes.substr(nl + 1);
    if (line.find(R"("record_kind":"artifact_chunk")") == std::string_view::npos) continue;
    Piece p;
    p.line_bytes = line.size() + 1;
    p.seq = IntField(line, ",\"seq\":");
    p.offset = IntField(line, ",\"offset\":");
    p.length = IntField(line, ",\"length\":");
    p.is_last = After(line, ",\"is_last\":").substr(0, 4) == "true";
    const std::string_view data = After(line, ",\"data\":\"");
    p.data = std::string(data.substr(0, data.find('"')));
    out.push_back(std::move(p));
  }
  return out;
}

// Every record stored so far in the dataset, newest snapshot first, in file order.
std::vector<nlohmann::json> AllRecords(Store& store) {
  std::vector<nlohmann::json> out;
  auto chain = WalkChain(store, "quarry");
  EXPECT_TRUE(chain.ok()) << chain.status().ToString();
  if (!chain.ok()) return out;
  for (const Manifest& m : *chain) {
    auto recs = ReadSnapshotRecords(store, m);
    EXPECT_TRUE(recs.ok());
    for (auto& r : *recs) out.push_back(std::move(r));
  }
  return out;
}

class RecordsTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemStore> store_ = std::make_shared<MemStore>();
  RunWriter writer_{store_, testing::ExampleRun(), testing::FastOptions()};
};

TEST_F(RecordsTest, TwentyMiBArtifactIsStoredInPiecesThatReassemble) {
  std::string artifact(20 * kMiB, '\0');
  for (size_t i = 0; i < artifact.size(); ++i) {
    artifact[i] = static_cast<char>((i * 2654435761u) >> 13);
  }
  // The SDK's IPC chunks: 8 MiB, 8 MiB, 4 MiB; strict writes each in its own snapshot.
  const size_t ipc = 8 * kMiB;
  for (int64_t seq = 1; seq <= 3; ++seq) {
    const size_t off = static_cast<size_t>(seq - 1) * ipc;
    const std::string_view data = std::string_view(artifact).substr(off, ipc);
    ASSERT_TRUE(
        writer_.WriteChunks(std::vector<Chunk>{MakeChunk("big", seq, seq == 3, off, data)}).ok());
  }
  EventSpec commit;
  commit.type = "artifact";
  commit.artifact_id = "big";
  commit.artifact_size_bytes = artifact.size();
  ASSERT_TRUE(writer_.WriteEvents(std::vector<Event>{MakeEvent(commit)}).ok());

  std::vector<Piece> pieces;
  for (const auto& [path, bytes] : store_->Snapshot()) {
    if (path.find("event_type=artifact/") == std::string::npos ||
        path.find("/data/data") == std::string::npos) {
      continue;
    }
    for (Piece& p : ParsePieces(bytes)) pieces.push_back(std::move(p));
  }
  std::sort(pieces.begin(), pieces.end(),
            [](const Piece& a, const Piece& b) { return a.seq < b.seq; });
  ASSERT_EQ(pieces.size(), 5u);
  const uint64_t expect_offset[] = {0, 6 * kMiB, 8 * kMiB, 14 * kMiB, 16 * kMiB};
  const uint64_t expect_length[] = {6 * kMiB, 2 * kMiB, 6 * kMiB, 2 * kMiB, 4 * kMiB};
  std::string rebuilt;
  for (size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_EQ(pieces[i].seq, i + 1);
    EXPECT_EQ(pieces[i].offset, expect_offset[i]);
    EXPECT_EQ(pieces[i].length, expect_length[i]);
    EXPECT_EQ(pieces[i].is_last, i + 1 == pieces.size());
    EXPECT_LE(pieces[i].line_bytes, 10485760u);
    EXPECT_EQ(rebuilt.size(), pieces[i].offset);
    const std::string raw = DecodeBase64(pieces[i].data);
    EXPECT_EQ(raw.size(), pieces[i].length);
    rebuilt += raw;
  }
  EXPECT_TRUE(rebuilt == artifact);
}

TEST_F(RecordsTest, RewrittenChunkGetsTheSameOffsetsAndPieceNumbers) {
  const std::string data(7 * kMiB, 'z');
  const Chunk c1 = MakeChunk("a", 1, false, 0, data);
  const Chunk c2 = MakeChunk("a", 2, true, data.size(), "tail");
  ASSERT_TRUE(writer_.WriteChunks(std::vector<Chunk>{c1, c2}).ok());
  // at_least_once writes the same chunks again after a failed event write.
  ASSERT_TRUE(writer_.WriteChunks(std::vector<Chunk>{c1, c2}).ok());
  std::vector<std::string> lines;
  auto chain = WalkChain(*store_, "quarry");
  ASSERT_TRUE(chain.ok());
  for (const Manifest& m : *chain) {
    for (const Piece& p : ParsePieces(*store_->Get(m.files.at(0).path))) {
      lines.push_back(std::to_string(p.seq) + "@" + std::to_string(p.offset) +
                      (p.is_last ? "!" : ""));
    }
  }
  const std::vector<std::string> once = {"1@0", "2@6291456", "3@7340032!"};
  std::vector<std::string> twice = once;
  twice.insert(twice.end(), once.begin(), once.end());
  EXPECT_EQ(lines, twice);
}

TEST_F(RecordsTest, EmptyArtifactIsOneEmptyPiece) {
  ASSERT_TRUE(writer_.WriteChunks(std::vector<Chunk>{MakeChunk("e", 1, true, 0, "")}).ok());
  auto recs = AllRecords(*store_);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0]["data"], "");
  EXPECT_EQ(recs[0]["length"], 0);
  EXPECT_EQ(recs[0]["is_last"], true);
  EXPECT_FALSE(recs[0].contains("policy"));
  EXPECT_FALSE(recs[0].contains("ts"));
}

TEST_F(RecordsTest, OversizeItemIsRefusedWithTheDocumentedMessage) {
  EventSpec e;
  e.seq = 7;
  e.payload = Pack([](Packer& p) {
    p.pack_map(1);
    PackStr(p, "blob");
    PackStr(p, std::string(10 * kMiB, 'a'));
  });
  const Event ev = MakeEvent(e);
  Status st = writer_.WriteEvents(std::vector<Event>{ev});
  ASSERT_FALSE(st.ok());
  std::smatch m;
  const std::string msg = st.message();
  ASSERT_TRUE(std::regex_match(
      msg, m,
      std::regex(
          R"(event seq 7 \(item\) encodes to ([0-9]+) bytes; stored lines are limited to 10485760 bytes)")))
      << msg;
  EXPECT_GT(std::stoull(m[1]), 10485760u);
  EXPECT_EQ(writer_.CheckEvent(ev).message(), msg);
  EXPECT_TRUE(store_->Snapshot().empty());
}

TEST_F(RecordsTest, LineOfExactlyTheLimitIsAccepted) {
  // Find the payload length at which the line (with LF) is exactly 10485760 bytes.
  auto make = [](size_t n) {
    EventSpec e;
    e.payload = Pack([n](Packer& p) {
      p.pack_map(1);
      PackStr(p, "b");
      PackStr(p, std::string(n, 'a'));
    });
    return MakeEvent(e);
  };
  std::string probe;
  {
    auto s = std::make_shared<MemStore>();
    RunWriter w(s, testing::ExampleRun(), testing::FastOptions());
    ASSERT_TRUE(w.WriteEvents(std::vector<Event>{make(0)}).ok());
    for (const auto& [path, bytes] : s->Snapshot()) {
      if (path.find("/data/data") != std::string::npos) probe = bytes;
    }
  }
  const size_t n = 10485760 - probe.size();
  EXPECT_TRUE(writer_.CheckEvent(make(n)).ok());
  EXPECT_TRUE(writer_.WriteEvents(std::vector<Event>{make(n)}).ok());
  EXPECT_FALSE(writer_.CheckEvent(make(n + 1)).ok());
}

TEST_F(RecordsTest, NanIsRefusedNamingSeqAndField) {
  EventSpec e;
  e.seq = 3;
  e.payload = Pack([](Packer& p) {
    p.pack_map(1);
    PackStr(p, "data");
    p.pack_map(1);
    PackStr(p, "price");
    p.pack_double(std::numeric_limits<double>::quiet_NaN());
  });
  EventSpec ok;
  ok.seq = 2;
  Status st = writer_.WriteEvents(std::vector<Event>{MakeEvent(ok), MakeEvent(e)});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("event seq 3 (item)"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("payload.data.price"), std::string::npos) << st.message();
  // Refused as a whole: the valid event of the batch is not written either.
  EXPECT_TRUE(store_->Snapshot().empty());
}

TEST_F(RecordsTest, ArtifactCommitNeedsAPriorSuccessfulChunkWrite) {
  EventSpec commit;
  commit.seq = 2;
  commit.type = "artifact";
  commit.artifact_id = "art-9";
  commit.artifact_size_bytes = 1;
  EventSpec item;
  Status st = writer_.WriteEvents(std::vector<Event>{MakeEvent(item), MakeEvent(commit)});
  EXPECT_EQ(st.message(), "artifact commit rejected: no chunks written for artifact: art-9");
  EXPECT_TRUE(store_->Snapshot().empty());

  EventSpec no_id = commit;
  no_id.artifact_id.reset();
  EXPECT_EQ(writer_.WriteEvents(std::vector<Event>{MakeEvent(no_id)}).message(),
            "artifact commit rejected: missing or empty artifact_id");
  no_id.artifact_id = "";
  EXPECT_EQ(writer_.WriteEvents(std::vector<Event>{MakeEvent(no_id)}).message(),
            "artifact commit rejected: missing or empty artifact_id");

  // A failed chunk write does not count.
  store_->SetHook([](StoreOp op, std::string_view, std::string_view) {
    return op == StoreOp::kPut ? IOError("disk on fire") : Status::Ok();
  });
  EXPECT_FALSE(writer_.WriteChunks(std::vector<Chunk>{MakeChunk("art-9", 1, true, 0, "x")}).ok());
  store_->SetHook(nullptr);
  EXPECT_FALSE(writer_.WriteEvents(std::vector<Event>{MakeEvent(commit)}).ok());

  ASSERT_TRUE(writer_.WriteChunks(std::vector<Chunk>{MakeChunk("art-9", 1, true, 0, "x")}).ok());
  EXPECT_TRUE(writer_.WriteEvents(std::vector<Event>{MakeEvent(commit)}).ok());
}

TEST_F(RecordsTest, CheckEventLeavesTheChunkRuleToTheWrite) {
  EventSpec commit;
  commit.type = "artifact";
  commit.artifact_id = "later";
  commit.artifact_size_bytes = 1;
  EXPECT_TRUE(writer_.CheckEvent(MakeEvent(commit)).ok());
  EXPECT_FALSE(writer_.WriteEvents(std::vector<Event>{MakeEvent(commit)}).ok());
  EXPECT_TRUE(store_->Snapshot().empty());
}

TEST(RunValidationTest, MissingPartitionValuesAndBadDatasetsAreRefused) {
  auto store = std::make_shared<MemStore>();
  RunDescriptor no_source = testing::ExampleRun();
  no_source.source.clear();
  RunWriter a(store, no_source, testing::FastOptions());
  EXPECT_EQ(a.WriteEvents(std::vector<Event>{MakeEvent(EventSpec{})}).message(),
            "record cannot be written: missing source");
  EXPECT_FALSE(a.WriteMetrics("{}").ok());
  for (const char* ds : {"", "a/b", "..", "."}) {
    RunDescriptor bad = testing::ExampleRun();
    bad.dataset = ds;
    RunWriter w(store, bad, testing::FastOptions());
    EXPECT_EQ(w.WriteChunks(std::vector<Chunk>{MakeChunk("a", 1, true, 0, "x")}).code(),
              StatusCode::kInvalidArgument)
        << ds;
  }
  RunWriter ok(store, testing::ExampleRun(), testing::FastOptions());
  EventSpec typeless;
  typeless.type = "";
  EXPECT_FALSE(ok.WriteEvents(std::vector<Event>{MakeEvent(typeless)}).ok());
  EXPECT_TRUE(store->Snapshot().empty());
}

TEST_F(RecordsTest, EventRecordsCarryLineageAndEscapedStrings) {
  EventSpec e;
  e.attempt = 2;
  e.parent_run_id = "run-000";
  e.type = "checkpoint";
  e.payload = Pack([](Packer& p) {
    p.pack_map(1);
    PackStr(p, "html");
    PackStr(p, "<a href=\"x\">&</a>\xe2\x80\xa8\x01\xff");
  });
  ASSERT_TRUE(writer_.WriteEvents(std::vector<Event>{MakeEvent(e)}).ok());
  std::string line;
  for (const auto& [path, bytes] : store_->Snapshot()) {
    if (path.find("event_type=checkpoint") != std::string::npos &&
        path.find("/data/data") != std::string::npos) {
      line = bytes;
    }
  }
  EXPECT_NE(
      line.find(
          R"("payload":{"html":"\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e\u2028\u0001\ufffd"})"),
      std::string::npos)
      << line;
  EXPECT_NE(line.find(R"("attempt":2,)"), std::string::npos);
  EXPECT_NE(line.find(R"("parent_run_id":"run-000",)"), std::string::npos);
  EXPECT_EQ(line.find("job_id"), std::string::npos);
  EXPECT_NE(line.find(R"("event_type":"checkpoint")"), std::string::npos);
  EXPECT_NE(line.find(R"("type":"checkpoint")"), std::string::npos);
}

TEST_F(RecordsTest, ArtifactEventStoresTheRealSizeAndEmptyStringsForMissingFields) {
  ASSERT_TRUE(writer_.WriteChunks(std::vector<Chunk>{MakeChunk("a", 1, true, 0, "12345")}).ok());
  EventSpec commit;
  commit.type = "artifact";
  commit.artifact_id = "a";
  commit.artifact_size_bytes = 5;
  ASSERT_TRUE(writer_.WriteEvents(std::vector<Event>{MakeEvent(commit)}).ok());
  auto recs = AllRecords(*store_);
  ASSERT_EQ(recs.size(), 2u);
  const auto& r = recs[0];
  EXPECT_EQ(r["record_kind"], "artifact_event");
  EXPECT_EQ(r["size_bytes"], 5);
  EXPECT_EQ(r["name"], "");
  EXPECT_EQ(r["content_type"], "");
  EXPECT_EQ(r["event_type"], "artifact");
  EXPECT_FALSE(r.contains("type"));
  EXPECT_FALSE(r.contains("payload"));
}

TEST_F(RecordsTest, MultiTypeWriteMakesOneDataFilePerTypeInSeqOrderWithin) {
  std::vector<Event> events;
  const char* types[] = {"item", "log", "item", "run_complete", "log"};
  for (int i = 0; i < 5; ++i) {
    EventSpec e;
    e.seq = i + 1;
    e.type = types[i];
    events.push_back(MakeEvent(e));
  }
  ASSERT_TRUE(writer_.WriteEvents(events).ok());
  auto chain = WalkChain(*store_, "quarry");
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 1u);
  const Manifest& m = chain->front();
  EXPECT_EQ(m.row_count, 5u);
  ASSERT_EQ(m.files.size(), 3u);
  EXPECT_TRUE(std::is_sorted(m.files.begin(), m.files.end(),
                             [](const auto& a, const auto& b) { return a.path < b.path; }));
  std::vector<int> seqs;
  auto records = ReadSnapshotRecords(*store_, m);
  ASSERT_TRUE(records.ok());
  for (const auto& r : *records) seqs.push_back(r["seq"]);
  // Grouped by data file path (item, log, run_complete), insertion order inside each.
  EXPECT_EQ(seqs, (std::vector<int>{1, 3, 2, 5, 4}));
  for (const auto& f : m.files) {
    EXPECT_EQ(f.size_bytes, store_->Get(f.path)->size());
    EXPECT_EQ(*store_->Get(f.path.substr(0, f.path.size() - 9) + "manifest.json"), m.raw);
  }
}

// CheckEvent admits most events from EventLineSizeBound alone (docs/benchmarks.md); the bound must
// never be below the line really written, whatever the strings hold.
TEST(EventLineSizeBoundTest, IsNeverBelowTheEncodedLine) {
  const RecordContext ctx(testing::ExampleRun());
  const std::string nasty = std::string(40, '\x01') + std::string(40, '\xff') + "<&>\"\\";
  std::vector<Event> events;
  EventSpec item;
  item.type = nasty;
  item.event_id = nasty;
  item.ts = nasty;
  item.job_id = nasty;
  item.parent_run_id = nasty;
  // Map keys must be UTF-8 (§4.8, docs/decisions.md); the widest valid key escapes every byte.
  const std::string nasty_key = std::string(40, '\x01') + "\xe2\x80\xa8<&>\"\\";
  item.payload = Pack([&](Packer& p) {
    p.pack_map(2);
    PackStr(p, nasty_key);
    PackStr(p, nasty);
    PackStr(p, "n");
    p.pack_array(3);
    p.pack_nil();
    p.pack_double(-2.2250738585072014e-308);
    p.pack_int64(std::numeric_limits<int64_t>::min());
  });
  events.push_back(MakeEvent(item));
  EventSpec artifact;
  artifact.type = "artifact";
  artifact.artifact_id = nasty;
  artifact.artifact_name = nasty;
  artifact.artifact_content_type = nasty;
  artifact.artifact_size_bytes = std::numeric_limits<uint64_t>::max();
  artifact.job_id = nasty;
  events.push_back(MakeEvent(artifact));
  events.push_back(MakeEvent(EventSpec{}));
  for (const Event& ev : events) {
    std::string line;
    ASSERT_TRUE(AppendEventLine(ev, ctx, &line).ok());
    const std::optional<size_t> bound = EventLineSizeBound(ev, ctx);
    ASSERT_TRUE(bound.has_value());
    EXPECT_GE(*bound, line.size()) << line;
  }
  EventSpec nan;
  nan.payload = Pack([](Packer& p) {
    p.pack_map(1);
    PackStr(p, "x");
    p.pack_double(std::nan(""));
  });
  EXPECT_FALSE(EventLineSizeBound(MakeEvent(nan), ctx).has_value());
}

}  // namespace
}  // namespace quarry::lode
