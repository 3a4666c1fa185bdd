#include "quarry/ipc/codec.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "msgpack_builder.h"
#include "quarry/json/canonical_json.h"

namespace quarry::ipc {
namespace {

using quarry::testing::Framed;
using quarry::testing::FromHex;
using quarry::testing::ToHex;
namespace mp = quarry::testing::mp;

// Exact bytes from executor-contract.md §6.3, §6.4 and §6.5.
constexpr std::string_view kChunkHex =
    "0000003f85a474797065ae61727469666163745f6368756e6bab61727469666163745f6964a56172742d31a373"
    "657101a769735f6c617374c3a464617461c403616263";
constexpr std::string_view kRunResultHex =
    "0000004182a474797065aa72756e5f726573756c74a76f7574636f6d6582a6737461747573a9636f6d706c657465"
    "64a76d657373616765ad72756e20636f6d706c65746564";
constexpr std::string_view kFileWriteHex =
    "0000005285a474797065aa66696c655f7772697465a877726974655f696401a866696c656e616d65a6612e6a736f"
    "6eac636f6e74656e745f74797065b06170706c69636174696f6e2f6a736f6ea464617461c4027b7d";
constexpr std::string_view kAckOkHex =
    "0000002783a474797065ae66696c655f77726974655f61636ba877726974655f6964ce00000001a26f6bc3";
constexpr std::string_view kAckErrorHex =
    "0000004484a474797065ae66696c655f77726974655f61636ba877726974655f6964ce00000002a26f6bc2a56572"
    "726f72b672756e20616c7265616479207465726d696e61746564";

FrameBytes Bytes(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

// Drains every complete frame currently available.
std::vector<FrameBytes> Drain(FrameReader& reader) {
  std::vector<FrameBytes> out;
  for (;;) {
    auto next = reader.Next();
    EXPECT_TRUE(next.ok()) << next.status().message();
    if (!next.ok() || !next->has_value()) return out;
    out.push_back(**next);
  }
}

// The SDK's envelope (key order of §5.1) with overridable parts.
struct EnvelopeSpec {
  std::string type = "item";
  std::string payload =
      mp::Map({{"item_type", mp::Str("product")},
               {"data", mp::Map({{"sku", mp::Str("A1")}, {"price", mp::F64(9.5)}})}});
  std::string seq = mp::Uint(1);
  std::string attempt = mp::Uint(1);
  std::string contract_version = mp::Str("0.13.4");
  std::string extra;  // already-encoded key/value pairs appended at the end
  uint32_t extra_pairs = 0;
};

std::string Envelope(const EnvelopeSpec& s) {
  std::string m = mp::MapHeader(8 + s.extra_pairs);
  m += mp::Str("contract_version") + s.contract_version;
  m += mp::Str("event_id") + mp::Str("5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c01");
  m += mp::Str("run_id") + mp::Str("run-001");
  m += mp::Str("type") + mp::Str(s.type);
  m += mp::Str("ts") + mp::Str("2026-03-22T09:15:00.120Z");
  m += mp::Str("payload") + s.payload;
  m += mp::Str("attempt") + s.attempt;
  m += mp::Str("seq") + s.seq;
  m += s.extra;
  return m;
}

StatusOr<Frame> Decode(std::string payload) { return DecodeFrame(Bytes(std::move(payload))); }

std::string DecodeErrorOf(std::string payload) {
  auto f = Decode(std::move(payload));
  EXPECT_FALSE(f.ok());
  return f.ok() ? "<ok>" : f.status().message();
}

// --- FrameReader -----------------------------------------------------------------------------

TEST(FrameReaderTest, SplitsTheSpecExamples) {
  const std::string stream = FromHex(kChunkHex) + FromHex(kRunResultHex) + FromHex(kFileWriteHex);
  FrameReader reader;
  reader.Feed(stream);
  const auto frames = Drain(reader);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(ToHex(*frames[0]), kChunkHex.substr(8));
  EXPECT_EQ(ToHex(*frames[1]), kRunResultHex.substr(8));
  EXPECT_EQ(ToHex(*frames[2]), kFileWriteHex.substr(8));
  EXPECT_EQ(reader.frames_read(), 3u);
  EXPECT_TRUE(reader.Finish().ok());
}

TEST(FrameReaderTest, ByteAtATime) {
  const std::string stream = FromHex(kChunkHex) + Framed("") + FromHex(kRunResultHex);
  FrameReader reader;
  std::vector<FrameBytes> frames;
  for (char c : stream) {
    reader.Feed(std::string_view(&c, 1));
    for (auto& f : Drain(reader)) frames.push_back(f);
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(*frames[0], FromHex(kChunkHex).substr(4));
  EXPECT_EQ(*frames[1], "");
  EXPECT_EQ(*frames[2], FromHex(kRunResultHex).substr(4));
  EXPECT_TRUE(reader.Finish().ok());
}

TEST(FrameReaderTest, RefusesAnOversizePrefixBeforeThePayload) {
  FrameReader reader;
  reader.Feed(FromHex(kChunkHex));
  reader.Feed(mp::BE(16'777'213, 4));
  auto first = reader.Next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  auto second = reader.Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "frame too large: length prefix 16777213 exceeds 16777212");
  EXPECT_EQ(second.status().code(), StatusCode::kInvalidArgument);
  // Final for the stream.
  reader.Feed("more bytes");
  EXPECT_EQ(reader.Next().status().message(), second.status().message());
  EXPECT_EQ(reader.Finish().message(), second.status().message());
  FrameReader max;
  max.Feed(FromHex("ffffffff"));
  EXPECT_EQ(max.Next().status().message(),
            "frame too large: length prefix 4294967295 exceeds 16777212");
}

TEST(FrameReaderTest, AcceptsTheLargestLegalPayload) {
  constexpr size_t kLen = 16'777'212;
  std::string payload(kLen, '\0');
  for (size_t i = 0; i < kLen; ++i) payload[i] = static_cast<char>(i * 7);
  const std::string stream = mp::BE(kLen, 4) + payload + FromHex(kChunkHex);
  FrameReader reader;
  std::vector<FrameBytes> frames;
  // Uneven pieces, so the payload is partly buffered when its prefix is parsed.
  for (size_t pos = 0; pos < stream.size();) {
    const size_t n = std::min<size_t>(stream.size() - pos, pos == 0 ? 1000 : 1'048'573);
    reader.Feed(std::string_view(stream).substr(pos, n));
    pos += n;
    for (auto& f : Drain(reader)) frames.push_back(f);
  }
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0]->size(), kLen);
  EXPECT_TRUE(*frames[0] == payload);
  EXPECT_EQ(*frames[1], FromHex(kChunkHex).substr(4));
  EXPECT_TRUE(reader.Finish().ok());
}

TEST(FrameReaderTest, TruncationIsReportedByFinish) {
  {
    FrameReader reader;
    reader.Feed(FromHex("0000"));
    EXPECT_TRUE(Drain(reader).empty());
    const Status s = reader.Finish();
    EXPECT_EQ(s.code(), StatusCode::kDataLoss);
    EXPECT_EQ(s.message(), "truncated frame: got 2 of 4 length-prefix bytes");
  }
  {
    FrameReader reader;
    reader.Feed(FromHex(kChunkHex).substr(0, 4 + 10));
    EXPECT_TRUE(Drain(reader).empty());
    EXPECT_EQ(reader.Finish().message(), "truncated frame: got 10 of 63 payload bytes");
  }
  {
    // A large payload that was being filled in place.
    FrameReader reader;
    reader.Feed(mp::BE(1'000'000, 4) + std::string(300'000, 'x'));
    EXPECT_TRUE(Drain(reader).empty());
    reader.Feed(std::string(5, 'y'));
    EXPECT_TRUE(Drain(reader).empty());
    EXPECT_EQ(reader.Finish().message(), "truncated frame: got 300005 of 1000000 payload bytes");
  }
  {
    // Prefix complete, no payload byte yet.
    FrameReader reader;
    reader.Feed(mp::BE(5, 4));
    EXPECT_TRUE(Drain(reader).empty());
    EXPECT_EQ(reader.Finish().message(), "truncated frame: got 0 of 5 payload bytes");
  }
  {
    FrameReader reader;
    EXPECT_TRUE(reader.Finish().ok());
  }
}

TEST(FrameReaderTest, ReadsFromAPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string stream;
  for (int i = 0; i < 500; ++i) stream += FromHex(kChunkHex);
  stream += Framed(std::string(300'000, 'L'));  // larger than a pipe buffer: read in place
  stream += FromHex(kRunResultHex);
  std::thread writer([&] {
    size_t off = 0;
    while (off < stream.size()) {
      const ssize_t n =
          write(fds[1], stream.data() + off, std::min<size_t>(stream.size() - off, 7000));
      ASSERT_GT(n, 0);
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  FrameReader reader;
  std::vector<FrameBytes> frames;
  for (;;) {
    bool would_block = false;
    auto n = reader.ReadFrom(fds[0], &would_block);
    ASSERT_TRUE(n.ok()) << n.status().message();
    for (auto& f : Drain(reader)) frames.push_back(f);
    if (*n == 0 && !would_block) break;
  }
  writer.join();
  close(fds[0]);
  EXPECT_TRUE(reader.Finish().ok());
  ASSERT_EQ(frames.size(), 502u);
  EXPECT_EQ(*frames[499], FromHex(kChunkHex).substr(4));
  EXPECT_EQ(*frames[500], std::string(300'000, 'L'));
  EXPECT_EQ(*frames[501], FromHex(kRunResultHex).substr(4));
}

TEST(FrameReaderTest, ReadsPastACompleteLargePayloadNotYetTaken) {
  // Two reads in a row without Next() in between, the first completing a large payload that is
  // being filled in place: the second must read the next frame, not report a 0-byte EOF.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string big(100'000, 'B');
  FrameReader reader;
  reader.Feed(mp::BE(big.size(), 4) + big.substr(0, 10));
  ASSERT_TRUE(Drain(reader).empty());  // now filling in place
  std::thread writer([&] {
    const std::string rest = big.substr(10) + FromHex(kChunkHex);
    ASSERT_EQ(write(fds[1], rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
    close(fds[1]);
  });
  bool would_block = false;
  size_t total = 0;
  for (;;) {
    auto n = reader.ReadFrom(fds[0], &would_block);
    ASSERT_TRUE(n.ok());
    if (*n == 0 && !would_block) break;
    total += *n;
  }
  writer.join();
  close(fds[0]);
  EXPECT_EQ(total, big.size() - 10 + FromHex(kChunkHex).size());
  const auto frames = Drain(reader);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(*frames[0], big);
  EXPECT_EQ(*frames[1], FromHex(kChunkHex).substr(4));
  EXPECT_TRUE(reader.Finish().ok());
}

TEST(FrameReaderTest, NonBlockingReadReportsWouldBlock) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  FrameReader reader;
  bool would_block = false;
  auto n = reader.ReadFrom(fds[0], &would_block);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(would_block);
  const std::string half = FromHex(kChunkHex).substr(0, 20);
  ASSERT_EQ(write(fds[1], half.data(), half.size()), static_cast<ssize_t>(half.size()));
  n = reader.ReadFrom(fds[0], &would_block);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 20u);
  EXPECT_FALSE(would_block);
  close(fds[1]);
  n = reader.ReadFrom(fds[0], &would_block);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_FALSE(would_block);
  EXPECT_EQ(reader.Finish().message(), "truncated frame: got 16 of 63 payload bytes");
  close(fds[0]);
  EXPECT_EQ(reader.ReadFrom(-1, &would_block).status().code(), StatusCode::kIOError);
}

// --- DecodeFrame: the spec examples ----------------------------------------------------------

TEST(DecodeFrameTest, ChunkExample) {
  auto f = Decode(FromHex(kChunkHex).substr(4));
  ASSERT_TRUE(f.ok()) << f.status().message();
  const auto* c = std::get_if<Chunk>(&*f);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->ArtifactId(), "art-1");
  EXPECT_EQ(c->seq, 1);
  EXPECT_TRUE(c->is_last);
  EXPECT_EQ(c->Data(), "abc");
  EXPECT_EQ(c->offset, 0u);
}

TEST(DecodeFrameTest, RunResultExample) {
  auto f = Decode(FromHex(kRunResultHex).substr(4));
  ASSERT_TRUE(f.ok()) << f.status().message();
  const auto* r = std::get_if<RunResultFrame>(&*f);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, "completed");
  EXPECT_EQ(r->message, "run completed");
  EXPECT_FALSE(r->error_type.has_value());
  EXPECT_FALSE(r->stack.has_value());
  EXPECT_FALSE(r->has_proxy_used);
}

TEST(DecodeFrameTest, FileWriteExample) {
  auto f = Decode(FromHex(kFileWriteHex).substr(4));
  ASSERT_TRUE(f.ok()) << f.status().message();
  const auto* w = std::get_if<FileWrite>(&*f);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->write_id, 1u);
  EXPECT_EQ(w->Get(w->filename), "a.json");
  EXPECT_EQ(w->Get(w->content_type), "application/json");
  EXPECT_EQ(w->Get(w->data), "{}");
}

// --- DecodeFrame: events ---------------------------------------------------------------------

TEST(DecodeFrameTest, ItemEvent) {
  const FrameBytes raw = Bytes(Envelope({}));
  auto f = DecodeFrame(raw);
  ASSERT_TRUE(f.ok()) << f.status().message();
  const auto* e = std::get_if<Event>(&*f);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->raw.get(), raw.get()) << "no copy of the payload";
  EXPECT_EQ(e->Get(e->contract_version), "0.13.4");
  EXPECT_EQ(e->Get(e->event_id), "5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c01");
  EXPECT_EQ(e->Get(e->run_id), "run-001");
  EXPECT_EQ(e->Type(), "item");
  EXPECT_EQ(e->Get(e->ts), "2026-03-22T09:15:00.120Z");
  EXPECT_EQ(e->seq, 1);
  EXPECT_EQ(e->attempt, 1);
  EXPECT_FALSE(e->has_job_id);
  EXPECT_FALSE(e->has_parent_run_id);
  EXPECT_EQ(e->payload_keys, 2u);
  EXPECT_EQ(e->EstimatedSize(), 300u);
  EXPECT_FALSE(e->Droppable());
  EXPECT_FALSE(e->has_artifact_id);
  std::string json;
  ASSERT_TRUE(json::AppendMsgpackAsJson(e->Get(e->payload), "payload", &json).ok());
  EXPECT_EQ(json, R"({"data":{"price":9.5,"sku":"A1"},"item_type":"product"})");
}

TEST(DecodeFrameTest, LineageAndNilOptionalStrings) {
  EnvelopeSpec s;
  s.attempt = mp::Uint(2);
  s.extra = mp::Str("job_id") + mp::Str("job-42") + mp::Str("parent_run_id") + mp::Str("run-000");
  s.extra_pairs = 2;
  auto f = Decode(Envelope(s));
  ASSERT_TRUE(f.ok()) << f.status().message();
  const Event& e = std::get<Event>(*f);
  EXPECT_EQ(e.attempt, 2);
  ASSERT_TRUE(e.has_job_id);
  EXPECT_EQ(e.Get(e.job_id), "job-42");
  ASSERT_TRUE(e.has_parent_run_id);
  EXPECT_EQ(e.Get(e.parent_run_id), "run-000");

  s.extra = mp::Str("job_id") + mp::Nil() + mp::Str("parent_run_id") + mp::Nil();
  auto g = Decode(Envelope(s));
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_FALSE(std::get<Event>(*g).has_job_id);
  EXPECT_FALSE(std::get<Event>(*g).has_parent_run_id);

  s.extra = mp::Str("job_id") + mp::Uint(42);
  s.extra_pairs = 1;
  EXPECT_EQ(DecodeErrorOf(Envelope(s)),
            R"(decode error: field "job_id" must be a string, got integer)");
}

TEST(DecodeFrameTest, IntegerFieldsOfAnyWidth) {
  const std::pair<std::string, int64_t> cases[] = {
      {mp::Uint(7), 7},
      {mp::U8(7), 7},
      {mp::U16(7), 7},
      {mp::U32(7), 7},
      {mp::U64(7), 7},
      {mp::I8(7), 7},
      {mp::I16(7), 7},
      {mp::I32(7), 7},
      {mp::I64(7), 7},
      {mp::Int(-3), -3},
      {mp::U64(9223372036854775807ull), 9223372036854775807ll},
      {mp::I64(std::numeric_limits<int64_t>::min()), std::numeric_limits<int64_t>::min()},
  };
  for (const auto& [bytes, want] : cases) {
    EnvelopeSpec s;
    s.seq = bytes;
    s.attempt = bytes;
    auto f = Decode(Envelope(s));
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_EQ(std::get<Event>(*f).seq, want);
    EXPECT_EQ(std::get<Event>(*f).attempt, want);
  }
  EnvelopeSpec big;
  big.seq = mp::U64(9223372036854775808ull);
  EXPECT_EQ(DecodeErrorOf(Envelope(big)),
            R"(decode error: field "seq" out of range (9223372036854775808))");
  EnvelopeSpec flt;
  flt.seq = mp::F64(1.0);
  EXPECT_EQ(DecodeErrorOf(Envelope(flt)),
            R"(decode error: field "seq" must be an integer, got float)");
}

TEST(DecodeFrameTest, AllStringAndContainerWidths) {
  // Envelope spelled with str8/str16/str32 keys and values and map16/map32 headers.
  std::string m = mp::Map32Header(8);
  m += mp::Str8("contract_version") + mp::Str32("0.13.4");
  m += mp::Str16("event_id") + mp::Str8("e1");
  m += mp::Str32("run_id") + mp::Str16("r1");
  m += mp::Str8("type") + mp::Str8("checkpoint");
  m += mp::Str("ts") + mp::Str32("t");
  m += mp::Str16("payload") + mp::Map16Header(1) + mp::Str32("checkpoint_id") + mp::Str16("c1");
  m += mp::Str("attempt") + mp::U16(1);
  m += mp::Str("seq") + mp::I32(4);
  auto f = Decode(m);
  ASSERT_TRUE(f.ok()) << f.status().message();
  const Event& e = std::get<Event>(*f);
  EXPECT_EQ(e.Type(), "checkpoint");
  EXPECT_EQ(e.Get(e.run_id), "r1");
  EXPECT_EQ(e.seq, 4);
  EXPECT_EQ(e.payload_keys, 1u);
  std::string json;
  ASSERT_TRUE(json::AppendMsgpackAsJson(e.Get(e.payload), "payload", &json).ok());
  EXPECT_EQ(json, R"({"checkpoint_id":"c1"})");
}

TEST(DecodeFrameTest, UnknownKeysAndTypesAreAccepted) {
  EnvelopeSpec s;
  s.type = "future_event_kind";
  s.payload = mp::Map({{"when", mp::Timestamp64(1774170900, 5)},
                       {"deep", mp::Array({mp::Map({{"x", mp::Timestamp32(1)}})})},
                       {"blob", mp::Bin32("zz")}});
  s.extra = mp::Str("extra_key") + mp::Map({{"nested", mp::Array({mp::Nil(), mp::F32(1.5f)})}}) +
            mp::Str("another") + mp::Timestamp96(-5, 0);
  s.extra_pairs = 2;
  auto f = Decode(Envelope(s));
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(std::get<Event>(*f).Type(), "future_event_kind");
  EXPECT_EQ(std::get<Event>(*f).payload_keys, 3u);
}

TEST(DecodeFrameTest, KeyOrderDoesNotMatter) {
  std::string m = mp::MapHeader(8);
  m += mp::Str("seq") + mp::Uint(3);
  m += mp::Str("payload") + mp::Map({});
  m += mp::Str("attempt") + mp::Uint(1);
  m += mp::Str("ts") + mp::Str("t");
  m += mp::Str("run_id") + mp::Str("r");
  m += mp::Str("event_id") + mp::Str("e");
  m += mp::Str("contract_version") + mp::Str("0.13.4");
  m += mp::Str("type") + mp::Str("run_complete");
  auto f = Decode(m);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(std::get<Event>(*f).seq, 3);
  EXPECT_EQ(std::get<Event>(*f).payload_keys, 0u);
  EXPECT_EQ(std::get<Event>(*f).Get(std::get<Event>(*f).payload), mp::Map({}));
}

TEST(DecodeFrameTest, ArtifactPayloadFields) {
  auto artifact = [](std::string size) {
    EnvelopeSpec s;
    s.type = "artifact";
    s.payload = mp::Map({{"artifact_id", mp::Str("art-1")},
                         {"name", mp::Str("shot.png")},
                         {"content_type", mp::Str("image/png")},
                         {"size_bytes", std::move(size)}});
    return Envelope(s);
  };
  const std::pair<std::string, uint64_t> sizes[] = {
      {mp::Uint(6), 6},        {mp::U16(256), 256},
      {mp::U32(70000), 70000}, {mp::U64(1073741824), 1073741824},
      {mp::I8(6), 6},          {mp::I64(6), 6},
      {mp::F64(6.0), 6},       {mp::F64(9007199254740992.0), 9007199254740992ull},
      {mp::F32(256.0f), 256},
  };
  for (const auto& [bytes, want] : sizes) {
    auto f = Decode(artifact(bytes));
    ASSERT_TRUE(f.ok()) << f.status().message();
    const Event& e = std::get<Event>(*f);
    ASSERT_TRUE(e.has_artifact_id);
    EXPECT_EQ(e.Get(e.artifact_id), "art-1");
    EXPECT_EQ(e.Get(e.artifact_name), "shot.png");
    EXPECT_EQ(e.Get(e.artifact_content_type), "image/png");
    ASSERT_TRUE(e.has_artifact_size_bytes) << ToHex(bytes);
    EXPECT_EQ(e.artifact_size_bytes, want);
    EXPECT_EQ(e.payload_keys, 4u);
  }
  for (const std::string& bad : {mp::F64(6.5), mp::Int(-1), mp::Str("6"), mp::Nil(), mp::F64(-1.0),
                                 mp::F64(std::nan("")), mp::F64(1e30)}) {
    auto f = Decode(artifact(bad));
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_FALSE(std::get<Event>(*f).has_artifact_size_bytes) << ToHex(bad);
  }
  // Missing and mistyped fields are left for the runtime's artifact rules.
  EnvelopeSpec s;
  s.type = "artifact";
  s.payload = mp::Map({{"artifact_id", mp::Uint(1)}, {"name", mp::Nil()}});
  auto f = Decode(Envelope(s));
  ASSERT_TRUE(f.ok()) << f.status().message();
  const Event& e = std::get<Event>(*f);
  EXPECT_FALSE(e.has_artifact_id);
  EXPECT_FALSE(e.has_artifact_size_bytes);
  EXPECT_EQ(e.Get(e.artifact_name), "");
  EXPECT_EQ(e.Get(e.artifact_content_type), "");
  // The same payload keys on another event type are not extracted.
  EnvelopeSpec item;
  item.payload = mp::Map({{"artifact_id", mp::Str("x")}, {"size_bytes", mp::Uint(1)}});
  auto g = Decode(Envelope(item));
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(std::get<Event>(*g).has_artifact_id);
}

TEST(DecodeFrameTest, EnvelopeFieldErrors) {
  struct Case {
    std::string key;
    std::string value;
    std::string want;
  };
  // Replace one envelope field at a time with a wrongly typed value.
  const Case cases[] = {
      {"contract_version", mp::Uint(13),
       R"(decode error: field "contract_version" must be a string, got integer)"},
      {"event_id", mp::Nil(), R"(decode error: field "event_id" must be a string, got nil)"},
      {"run_id", mp::Bin("r"), R"(decode error: field "run_id" must be a string, got binary)"},
      {"seq", mp::Str("1"), R"(decode error: field "seq" must be an integer, got string)"},
      {"ts", mp::Timestamp32(1), R"(decode error: field "ts" must be a string, got extension)"},
      {"payload", mp::Array({}), R"(decode error: field "payload" must be a map, got array)"},
      {"payload", mp::Nil(), R"(decode error: field "payload" must be a map, got nil)"},
      {"attempt", mp::Bool(true), R"(decode error: field "attempt" must be an integer, got bool)"},
      {"type", mp::Uint(1), R"(decode error: field "type" must be a string, got integer)"},
  };
  for (const Case& c : cases) {
    // A later duplicate key overrides the good value.
    EnvelopeSpec s;
    s.extra = mp::Str(c.key) + c.value;
    s.extra_pairs = 1;
    EXPECT_EQ(DecodeErrorOf(Envelope(s)), c.want);
  }
  const char* required[] = {"contract_version", "event_id", "run_id", "ts",
                            "payload",          "attempt",  "seq"};
  for (const char* name : required) {
    // Rename the key so it is missing.
    std::string env = Envelope({});
    const std::string key = mp::Str(name);
    const size_t at = env.find(key);
    ASSERT_NE(at, std::string::npos);
    env[at + 1] = 'X';
    EXPECT_EQ(DecodeErrorOf(env), std::string("decode error: missing \"") + name + "\"");
  }
}

// --- DecodeFrame: structural errors ----------------------------------------------------------

TEST(DecodeFrameTest, StructuralErrors) {
  EXPECT_EQ(DecodeErrorOf(""), "decode error: payload is empty (expected a msgpack map)");
  EXPECT_EQ(DecodeErrorOf(mp::Array({mp::Str("type")})),
            "decode error: payload is not a map (got array)");
  EXPECT_EQ(DecodeErrorOf(mp::Str("hello")), "decode error: payload is not a map (got string)");
  EXPECT_EQ(DecodeErrorOf(mp::Uint(5)), "decode error: payload is not a map (got integer)");
  EXPECT_EQ(DecodeErrorOf(mp::Map({})), R"(decode error: missing "type")");
  EXPECT_EQ(DecodeErrorOf(mp::Map({{"typ", mp::Str("item")}})), R"(decode error: missing "type")");
  EXPECT_EQ(DecodeErrorOf(mp::Map({{"type", mp::Nil()}})),
            R"(decode error: field "type" must be a string, got nil)");
  EXPECT_EQ(DecodeErrorOf(mp::MapHeader(1) + mp::Uint(1) + mp::Str("item")),
            "decode error: map key must be a string");
  EXPECT_EQ(DecodeErrorOf(mp::Map({{"type", mp::Str("item")}}) + "abc"),
            "decode error: 3 trailing bytes after the payload map");
  EXPECT_EQ(DecodeErrorOf(mp::Map({{"type", mp::Str("item")}}).substr(0, 5)),
            "decode error: truncated msgpack value");
  EXPECT_EQ(DecodeErrorOf(mp::MapHeader(2) + mp::Str("type") + mp::Str("item")),
            "decode error: truncated msgpack value");
  EXPECT_EQ(DecodeErrorOf(mp::Byte(0xc1)), "decode error: invalid msgpack byte 0xc1 at offset 0");
  EXPECT_EQ(DecodeErrorOf(mp::Map({{"type", mp::Byte(0xc1)}})),
            "decode error: invalid msgpack byte 0xc1 at offset 6");
}

TEST(DecodeFrameTest, PayloadRulesApplyEverywhere) {
  const std::string bad_key_map = mp::MapHeader(1) + mp::Uint(1) + mp::Nil();
  EnvelopeSpec in_payload;
  in_payload.payload = mp::MapHeader(1) + mp::Bin("k") + mp::Nil();
  EXPECT_EQ(DecodeErrorOf(Envelope(in_payload)), "decode error: map key must be a string");
  EnvelopeSpec nested;
  nested.payload = mp::Map({{"data", mp::Array({bad_key_map})}});
  EXPECT_EQ(DecodeErrorOf(Envelope(nested)), "decode error: map key must be a string");
  EnvelopeSpec unknown_key;
  unknown_key.extra = mp::Str("ignored") + bad_key_map;
  unknown_key.extra_pairs = 1;
  EXPECT_EQ(DecodeErrorOf(Envelope(unknown_key)), "decode error: map key must be a string");
  EnvelopeSpec ext;
  ext.payload = mp::Map({{"x", mp::Ext(5, "abcd")}});
  EXPECT_EQ(DecodeErrorOf(Envelope(ext)), "decode error: unsupported extension type 5");
  EnvelopeSpec ext_top;
  ext_top.extra = mp::Str("x") + mp::Ext(0, "a");
  ext_top.extra_pairs = 1;
  EXPECT_EQ(DecodeErrorOf(Envelope(ext_top)), "decode error: unsupported extension type 0");
  EnvelopeSpec bad_ts;
  bad_ts.payload = mp::Map({{"x", mp::Ext(-1, "abc")}});
  EXPECT_EQ(DecodeErrorOf(Envelope(bad_ts)), "decode error: invalid timestamp extension (3 bytes)");
  // The artifact fields are validated like any other payload value.
  EnvelopeSpec art;
  art.type = "artifact";
  art.payload = mp::Map({{"size_bytes", mp::Map({{"k", mp::Ext(9, "a")}})}});
  EXPECT_EQ(DecodeErrorOf(Envelope(art)), "decode error: unsupported extension type 9");
  // Non-event frames are checked too.
  EXPECT_EQ(DecodeErrorOf(mp::Map({{"type", mp::Str("run_result")},
                                   {"outcome", mp::Map({{"status", mp::Str("completed")}})},
                                   {"junk", mp::Ext(3, "a")}})),
            "decode error: unsupported extension type 3");
}

TEST(DecodeFrameTest, DepthLimit) {
  auto nested = [](int levels) {
    std::string s;
    for (int i = 0; i < levels; ++i) s += mp::ArrayHeader(1);
    return s + mp::Nil();
  };
  // The frame map is level 1 and the payload level 2, so a payload value may nest 254 more.
  EnvelopeSpec ok;
  ok.payload = mp::Map({{"v", nested(254)}});
  auto f = Decode(Envelope(ok));
  ASSERT_TRUE(f.ok()) << f.status().message();
  // ... and the same payload transcodes to JSON (consistent limits).
  const Event& e = std::get<Event>(*f);
  std::string json;
  EXPECT_TRUE(json::AppendMsgpackAsJson(e.Get(e.payload), "payload", &json).ok());
  EnvelopeSpec deep;
  deep.payload = mp::Map({{"v", nested(255)}});
  EXPECT_EQ(DecodeErrorOf(Envelope(deep)),
            "decode error: msgpack value nested deeper than 256 levels");
  EnvelopeSpec top_ok;
  top_ok.extra = mp::Str("x") + nested(255);
  top_ok.extra_pairs = 1;
  EXPECT_TRUE(Decode(Envelope(top_ok)).ok());
  EnvelopeSpec deep_top;
  deep_top.extra = mp::Str("x") + nested(256);
  deep_top.extra_pairs = 1;
  EXPECT_EQ(DecodeErrorOf(Envelope(deep_top)),
            "decode error: msgpack value nested deeper than 256 levels");
}

// --- DecodeFrame: control frames -------------------------------------------------------------

std::string ChunkPayload(std::string artifact_id, std::string seq, std::string is_last,
                         std::string data) {
  return mp::Map({{"type", mp::Str("artifact_chunk")},
                  {"artifact_id", std::move(artifact_id)},
                  {"seq", std::move(seq)},
                  {"is_last", std::move(is_last)},
                  {"data", std::move(data)}});
}

TEST(DecodeFrameTest, ChunkFields) {
  auto ok = Decode(ChunkPayload(mp::Str8("a"), mp::U32(2), mp::Bool(false), mp::Bin32("")));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(std::get<Chunk>(*ok).seq, 2);
  EXPECT_FALSE(std::get<Chunk>(*ok).is_last);
  EXPECT_EQ(std::get<Chunk>(*ok).Data(), "");
  // seq < 1 is the runtime's business, not a decode error.
  EXPECT_TRUE(Decode(ChunkPayload(mp::Str("a"), mp::Int(-5), mp::Bool(true), mp::Bin(""))).ok());
  EXPECT_EQ(DecodeErrorOf(ChunkPayload(mp::Str("a"), mp::Uint(1), mp::Bool(true), mp::Str("abc"))),
            R"(decode error: field "data" must be binary, got string)");
  EXPECT_EQ(DecodeErrorOf(
                ChunkPayload(mp::Str("a"), mp::Uint(1), mp::Bool(true), mp::Array({mp::Uint(97)}))),
            R"(decode error: field "data" must be binary, got array)");
  EXPECT_EQ(DecodeErrorOf(ChunkPayload(mp::Str("a"), mp::Uint(1), mp::Uint(1), mp::Bin(""))),
            R"(decode error: field "is_last" must be a bool, got integer)");
  EXPECT_EQ(DecodeErrorOf(ChunkPayload(mp::Uint(1), mp::Uint(1), mp::Bool(true), mp::Bin(""))),
            R"(decode error: field "artifact_id" must be a string, got integer)");
  EXPECT_EQ(DecodeErrorOf(ChunkPayload(mp::Str("a"), mp::F64(1), mp::Bool(true), mp::Bin(""))),
            R"(decode error: field "seq" must be an integer, got float)");
  EXPECT_EQ(
      DecodeErrorOf(mp::Map({{"type", mp::Str("artifact_chunk")}, {"artifact_id", mp::Str("a")}})),
      R"(decode error: missing "seq")");
}

TEST(DecodeFrameTest, OversizeChunkDataStillDecodes) {
  // The 8 MiB limit is the runtime's fatal stream error, not a decode error.
  const std::string data(kMaxChunkSize + 1, 'd');
  auto f = Decode(ChunkPayload(mp::Str("a"), mp::Uint(1), mp::Bool(true), mp::Bin(data)));
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(std::get<Chunk>(*f).Data().size(), kMaxChunkSize + 1);
}

std::string FileWritePayload(std::string write_id, std::string filename = mp::Str("a.json")) {
  return mp::Map({{"type", mp::Str("file_write")},
                  {"write_id", std::move(write_id)},
                  {"filename", std::move(filename)},
                  {"content_type", mp::Str("application/json")},
                  {"data", mp::Bin("{}")}});
}

TEST(DecodeFrameTest, FileWriteFields) {
  for (const std::string& id : {mp::U32(4294967295u), mp::U64(4294967295u), mp::I64(4294967295)}) {
    auto f = Decode(FileWritePayload(id));
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_EQ(std::get<FileWrite>(*f).write_id, 4294967295u);
  }
  auto zero = Decode(FileWritePayload(mp::Uint(0)));
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(std::get<FileWrite>(zero.value()).write_id, 0u);
  // Filename rules are the runtime's (§8.2); "../x" decodes.
  auto dots = Decode(FileWritePayload(mp::Uint(3), mp::Str("../x")));
  ASSERT_TRUE(dots.ok());
  EXPECT_EQ(std::get<FileWrite>(dots.value()).Get(std::get<FileWrite>(dots.value()).filename),
            "../x");
  EXPECT_EQ(DecodeErrorOf(FileWritePayload(mp::U64(4294967296ull))),
            R"(decode error: field "write_id" out of range (4294967296))");
  EXPECT_EQ(DecodeErrorOf(FileWritePayload(mp::Int(-1))),
            R"(decode error: field "write_id" out of range (-1))");
  EXPECT_EQ(DecodeErrorOf(FileWritePayload(mp::Str("1"))),
            R"(decode error: field "write_id" must be an integer, got string)");
  EXPECT_EQ(DecodeErrorOf(FileWritePayload(mp::Uint(1), mp::Nil())),
            R"(decode error: field "filename" must be a string, got nil)");
  EXPECT_EQ(DecodeErrorOf(mp::Map({{"type", mp::Str("file_write")}})),
            R"(decode error: missing "write_id")");
}

TEST(DecodeFrameTest, RunResultFields) {
  auto rr = [](std::string outcome, std::string proxy = "") {
    std::string m = mp::MapHeader(proxy.empty() ? 2 : 3) + mp::Str("type") + mp::Str("run_result") +
                    mp::Str("outcome") + outcome;
    if (!proxy.empty()) m += mp::Str("proxy_used") + proxy;
    return m;
  };
  const std::string error_outcome = mp::Map({{"status", mp::Str("error")},
                                             {"message", mp::Str("boom")},
                                             {"error_type", mp::Str("script_error")},
                                             {"stack", mp::Str("at x")},
                                             {"future", mp::Array({})}});
  auto f = Decode(rr(error_outcome, mp::Map({{"protocol", mp::Str("http")},
                                             {"host", mp::Str("10.0.0.5")},
                                             {"port", mp::U16(3128)},
                                             {"username", mp::Str("u")}})));
  ASSERT_TRUE(f.ok()) << f.status().message();
  const auto& r = std::get<RunResultFrame>(*f);
  EXPECT_EQ(r.status, "error");
  EXPECT_EQ(r.message, "boom");
  EXPECT_EQ(r.error_type, "script_error");
  EXPECT_EQ(r.stack, "at x");
  EXPECT_TRUE(r.has_proxy_used);
  EXPECT_EQ(r.proxy_protocol, "http");
  EXPECT_EQ(r.proxy_host, "10.0.0.5");
  EXPECT_EQ(r.proxy_port, 3128);
  EXPECT_EQ(r.proxy_username, "u");

  const std::string nils = mp::Map({{"status", mp::Str("crash")},
                                    {"message", mp::Nil()},
                                    {"error_type", mp::Nil()},
                                    {"stack", mp::Nil()}});
  auto g = Decode(rr(nils, mp::Nil()));
  ASSERT_TRUE(g.ok()) << g.status().message();
  const auto& n = std::get<RunResultFrame>(*g);
  EXPECT_EQ(n.status, "crash");
  EXPECT_FALSE(n.message.has_value());
  EXPECT_FALSE(n.error_type.has_value());
  EXPECT_FALSE(n.stack.has_value());
  EXPECT_FALSE(n.has_proxy_used);

  auto no_user = Decode(rr(nils, mp::Map({{"protocol", mp::Str("socks5")},
                                          {"host", mp::Str("h")},
                                          {"port", mp::Uint(1080)}})));
  ASSERT_TRUE(no_user.ok()) << no_user.status().message();
  EXPECT_FALSE(std::get<RunResultFrame>(*no_user).proxy_username.has_value());

  EXPECT_EQ(DecodeErrorOf(mp::Map({{"type", mp::Str("run_result")}})),
            R"(decode error: missing "outcome")");
  EXPECT_EQ(DecodeErrorOf(rr(mp::Str("completed"))),
            R"(decode error: field "outcome" must be a map, got string)");
  EXPECT_EQ(DecodeErrorOf(rr(mp::Map({{"message", mp::Str("m")}}))),
            R"(decode error: missing "outcome.status")");
  EXPECT_EQ(DecodeErrorOf(rr(mp::Map({{"status", mp::Nil()}}))),
            R"(decode error: field "outcome.status" must be a string, got nil)");
  EXPECT_EQ(DecodeErrorOf(rr(mp::Map({{"status", mp::Str("error")}, {"stack", mp::Uint(1)}}))),
            R"(decode error: field "outcome.stack" must be a string or nil, got integer)");
  EXPECT_EQ(DecodeErrorOf(rr(nils, mp::Array({}))),
            R"(decode error: field "proxy_used" must be a map or nil, got array)");
  EXPECT_EQ(DecodeErrorOf(rr(nils, mp::Map({{"protocol", mp::Str("http")},
                                            {"host", mp::Str("h")},
                                            {"port", mp::Str("80")}}))),
            R"(decode error: field "proxy_used.port" must be an integer, got string)");
  EXPECT_EQ(
      DecodeErrorOf(rr(nils, mp::Map({{"protocol", mp::Str("http")}, {"port", mp::Uint(80)}}))),
      R"(decode error: missing "proxy_used.host")");
}

TEST(DecodeFrameTest, FileWriteAckOnStdoutIsAnError) {
  EXPECT_EQ(DecodeErrorOf(FromHex(kAckOkHex).substr(4)),
            R"(decode error: unexpected frame kind "file_write_ack" on the executor's stdout)");
}

TEST(DecodeFrameTest, MsgpackCxxEncodedEvent) {
  // The same envelope written by an independent encoder (msgpack-cxx).
  ::msgpack::sbuffer buf;
  ::msgpack::packer<::msgpack::sbuffer> pk(buf);
  pk.pack_map(8);
  pk.pack(std::string("contract_version")).pack(std::string("0.13.4"));
  pk.pack(std::string("event_id")).pack(std::string("e"));
  pk.pack(std::string("run_id")).pack(std::string("r"));
  pk.pack(std::string("type")).pack(std::string("log"));
  pk.pack(std::string("ts")).pack(std::string("t"));
  pk.pack(std::string("payload"));
  pk.pack_map(2);
  pk.pack(std::string("level")).pack(std::string("info"));
  pk.pack(std::string("fields")).pack(std::map<std::string, int>{{"status", 200}});
  pk.pack(std::string("attempt")).pack(uint64_t{1});
  pk.pack(std::string("seq")).pack(int64_t{300});
  auto f = Decode(std::string(buf.data(), buf.size()));
  ASSERT_TRUE(f.ok()) << f.status().message();
  const Event& e = std::get<Event>(*f);
  EXPECT_EQ(e.seq, 300);
  EXPECT_TRUE(e.Droppable());
  EXPECT_EQ(e.payload_keys, 2u);
}

// --- ProbeType -------------------------------------------------------------------------------

TEST(ProbeTypeTest, FindsTypeAnywhere) {
  const std::string env = Envelope({});
  auto t = ProbeType(env);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(*t, "item");
  EXPECT_GE(t->data(), env.data());
  EXPECT_LT(t->data(), env.data() + env.size());
  EXPECT_EQ(*ProbeType(FromHex(kChunkHex).substr(4)), "artifact_chunk");
  EXPECT_EQ(*ProbeType(FromHex(kRunResultHex).substr(4)), "run_result");
  EXPECT_EQ(*ProbeType(FromHex(kAckOkHex).substr(4)), "file_write_ack");
  // Values before `type` are skipped, however nested.
  EXPECT_EQ(*ProbeType(mp::Map(
                {{"a", mp::Array({mp::Map({{"b", mp::Bin("x")}})})}, {"type", mp::Str8("log")}})),
            "log");
}

TEST(ProbeTypeTest, Errors) {
  EXPECT_EQ(ProbeType("").status().message(),
            "decode error: payload is empty (expected a msgpack map)");
  EXPECT_EQ(ProbeType(mp::Array({})).status().message(),
            "decode error: payload is not a map (got array)");
  EXPECT_EQ(ProbeType(mp::Map({{"a", mp::Uint(1)}})).status().message(),
            R"(decode error: missing "type")");
  EXPECT_EQ(ProbeType(mp::MapHeader(2) + mp::Uint(1) + mp::Uint(1) + mp::Str("type") + mp::Str("x"))
                .status()
                .message(),
            "decode error: map key must be a string");
  EXPECT_EQ(ProbeType(mp::Map({{"type", mp::Uint(1)}})).status().message(),
            R"(decode error: field "type" must be a string, got integer)");
  EXPECT_EQ(
      ProbeType(mp::MapHeader(2) + mp::Str("a") + mp::Str8("abc").substr(0, 3)).status().message(),
      "decode error: truncated msgpack value");
}

// --- EncodeFileWriteAck ----------------------------------------------------------------------

TEST(EncodeFileWriteAckTest, ExactBytesOfTheContract) {
  EXPECT_EQ(ToHex(EncodeFileWriteAck(1, true, "")), kAckOkHex);
  EXPECT_EQ(ToHex(EncodeFileWriteAck(2, false, "run already terminated")), kAckErrorHex);
  // error is omitted when ok, whatever the caller passes.
  EXPECT_EQ(ToHex(EncodeFileWriteAck(1, true, "ignored")), kAckOkHex);
}

TEST(EncodeFileWriteAckTest, LongErrorsAndLargeIds) {
  for (size_t len : {31u, 32u, 255u, 256u, 70000u}) {
    const std::string error(len, 'e');
    const std::string frame = EncodeFileWriteAck(0xffffffffu, false, error);
    ASSERT_GE(frame.size(), 4u);
    const uint32_t prefix = (uint32_t{static_cast<uint8_t>(frame[0])} << 24) |
                            (uint32_t{static_cast<uint8_t>(frame[1])} << 16) |
                            (uint32_t{static_cast<uint8_t>(frame[2])} << 8) |
                            static_cast<uint8_t>(frame[3]);
    EXPECT_EQ(prefix, frame.size() - 4);
    // Decoded by an independent implementation.
    ::msgpack::object_handle oh = ::msgpack::unpack(frame.data() + 4, frame.size() - 4);
    std::map<std::string, ::msgpack::object> m;
    oh.get().convert(m);
    EXPECT_EQ(m["type"].as<std::string>(), "file_write_ack");
    EXPECT_EQ(m["write_id"].as<uint64_t>(), 0xffffffffu);
    EXPECT_FALSE(m["ok"].as<bool>());
    EXPECT_EQ(m["error"].as<std::string>(), error);
  }
  // write_id is uint32 (0xce) even when it would fit a fixint.
  const std::string zero = EncodeFileWriteAck(0, true, "");
  EXPECT_NE(zero.find(std::string("\xce\x00\x00\x00\x00", 5)), std::string::npos);
}

// --- ContractVersionAccepted -----------------------------------------------------------------

TEST(ContractVersionTest, AcceptsExactly013) {
  for (const char* v :
       {"0.13.4", "0.13.0", "0.13.9", "0.13", "0.13.", "0.13.x-beta", "0.13.10.1"}) {
    EXPECT_TRUE(ContractVersionAccepted(v)) << v;
  }
  for (const char* v :
       {"0.12.9", "0.14.0", "1.0.0", "0.1.0", "", "0", "0.", "0.1", "0.130", "00.13.4", "0.013.4",
        "0.13-beta", " 0.13.4", "0.13 .4", "v0.13.4", "1.13.4", ".13.4", "0..13"}) {
    EXPECT_FALSE(ContractVersionAccepted(v)) << v;
  }
  EXPECT_TRUE(ContractVersionAccepted(kContractVersion));
}

}  // namespace
}  // namespace quarry::ipc

namespace quarry::ipc {
namespace {

// Every truncation and a spread of single-byte corruptions of real frames must fail cleanly (or
// decode), never read out of bounds; run under ASan/UBSan. A frame that decodes must also have a
// payload the JSON layer can walk without crashing.
TEST(DecodeFrameRobustness, MutatedFramesNeverCrash) {
  EnvelopeSpec s;
  s.payload =
      mp::Map({{"item_type", mp::Str("product")},
               {"data", mp::Map({{"when", mp::Timestamp64(1774170900, 5)},
                                 {"blob", mp::Bin("xyz")},
                                 {"n", mp::Array({mp::I16(-300), mp::F32(1.5f), mp::Nil()})}})}});
  const std::string samples[] = {Envelope(s), FromHex(kChunkHex).substr(4),
                                 FromHex(kRunResultHex).substr(4),
                                 FromHex(kFileWriteHex).substr(4)};
  size_t decoded = 0;
  for (const std::string& base : samples) {
    std::vector<std::string> variants;
    for (size_t cut = 0; cut < base.size(); ++cut) variants.push_back(base.substr(0, cut));
    for (size_t i = 0; i < base.size(); ++i) {
      for (unsigned char b :
           {0x00, 0x7f, 0x80, 0x91, 0xa5, 0xc1, 0xc4, 0xc7, 0xcf, 0xd4, 0xdb, 0xdd, 0xdf, 0xff}) {
        std::string m = base;
        m[i] = static_cast<char>(b);
        variants.push_back(std::move(m));
      }
    }
    for (const std::string& v : variants) {
      auto f = Decode(v);
      (void)ProbeType(v);
      if (!f.ok()) {
        EXPECT_EQ(f.status().message().rfind("decode error: ", 0), 0u) << f.status().message();
        continue;
      }
      ++decoded;
      if (const Event* e = std::get_if<Event>(&*f)) {
        std::string json;
        (void)json::AppendMsgpackAsJson(e->Get(e->payload), "payload", &json);
      }
    }
  }
  EXPECT_GT(decoded, 0u);
}

}  // namespace
}  // namespace quarry::ipc
