// Envelope validation and ingestion into each policy, over a real Lode writer on an in-memory
// store, then read back (executor-contract.md §8-§12, storage-and-policies.md §3, §4.8, §4.9).
//
// Input: byte 0 picks the policy (strict, buffered, streaming), byte 1 its limits and flush mode,
// the rest is the executor's stdout stream (seeds: tests/fixtures/ipc/*.bin behind each prefix).
// Frames go through FrameReader and run::Ingestor exactly as in a run; ingestion stops at the
// first fatal error, as the orchestrator's loop does; then the end-of-run flush and Close.
//
// Checked, after reading the dataset back from the store:
//   * every event the policy accepted is stored exactly once, and its line is byte-equal to the
//     canonical record built here independently (json::ObjectBuilder: keys sorted generically,
//     not the hand-ordered fast path of lode/records.cc);
//   * only buffered may leave accepted events out, only droppable ones, and exactly as many as
//     its events_dropped counter says;
//   * every accepted artifact chunk is stored once, as a byte-equal artifact_chunk record;
//   * nothing else is stored: no event or chunk that the ingestor or policy refused.
// The one write a never-failing store may refuse is an artifact commit whose chunks were not
// written before it (storage §4.10; see AcceptedLog::commit_before_chunks): then only the
// "stored once, byte-equal" half is checked.
#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "quarry/ipc/codec.h"
#include "quarry/json/canonical_json.h"
#include "quarry/lode/reader.h"
#include "quarry/lode/run_writer.h"
#include "quarry/policy/policy.h"
#include "run/ingestor.h"

namespace {

using namespace quarry;  // NOLINT: a fuzz target touches every layer

constexpr char kRunId[] = "run-001";  // the fixtures' run
constexpr char kSource[] = "src";
constexpr char kCategory[] = "cat";
constexpr char kDay[] = "2026-03-22";

// Records what the policy accepted (its call returned OK), in order, and passes everything on.
class AcceptedLog final : public policy::Policy {
 public:
  explicit AcceptedLog(std::unique_ptr<policy::Policy> inner) : inner_(std::move(inner)) {}
  std::string_view Name() const override { return inner_->Name(); }
  Status IngestEvent(Event event) override {
    Event copy = event;
    if (event.Type() == "artifact" &&
        !chunked_.count(std::string(event.has_artifact_id ? event.Get(event.artifact_id) : ""))) {
      commit_before_chunks = true;
    }
    attempted.push_back(copy);
    Status s = inner_->IngestEvent(std::move(event));
    if (s.ok()) events.push_back(std::move(copy));
    return s;
  }
  Status IngestChunk(Chunk chunk) override {
    Chunk copy = chunk;
    Status s = inner_->IngestChunk(std::move(chunk));
    if (s.ok()) {
      chunked_.insert(std::string(copy.ArtifactId()));
      chunks.push_back(std::move(copy));
    }
    return s;
  }
  Status Flush() override { return inner_->Flush(); }
  Status Close() override { return inner_->Close(); }
  policy::PolicyStats Stats() const override { return inner_->Stats(); }

  std::vector<Event> events;     // accepted
  std::vector<Event> attempted;  // every event offered, accepted or not
  std::vector<Chunk> chunks;     // accepted
  // An artifact commit arrived before any accepted chunk of its artifact. The executor contract
  // allows that order (§12.2, foreign executors), but the storage writer refuses a commit whose
  // chunks were not written first (storage §4.10), so a policy that writes the commit in the same
  // or an earlier flush than the chunks fails that whole write.
  bool commit_before_chunks = false;

 private:
  std::unique_ptr<policy::Policy> inner_;
  std::set<std::string> chunked_;
};

// The stored line of an event, built from the record table of storage-and-policies.md §4.9.
std::string ExpectedEventLine(const Event& ev, std::string_view policy) {
  json::ObjectBuilder b;
  b.AddString("contract_version", ev.Get(ev.contract_version))
      .AddString("event_id", ev.Get(ev.event_id))
      .AddString("run_id", ev.Get(ev.run_id))
      .AddInt("seq", ev.seq)
      .AddString("ts", ev.Get(ev.ts))
      .AddInt("attempt", ev.attempt)
      .AddString("source", kSource)
      .AddString("category", kCategory)
      .AddString("day", kDay)
      .AddString("policy", policy);
  if (ev.has_job_id) b.AddString("job_id", ev.Get(ev.job_id));
  if (ev.has_parent_run_id) b.AddString("parent_run_id", ev.Get(ev.parent_run_id));
  if (ev.Type() == "artifact") {
    b.AddString("record_kind", "artifact_event")
        .AddString("event_type", "artifact")
        .AddString("artifact_id", ev.has_artifact_id ? ev.Get(ev.artifact_id) : "")
        .AddString("name", ev.Get(ev.artifact_name))
        .AddString("content_type", ev.Get(ev.artifact_content_type))
        .AddUint("size_bytes", ev.has_artifact_size_bytes ? ev.artifact_size_bytes : 0);
  } else {
    std::string payload;
    Status s = json::AppendMsgpackAsJson(ev.Get(ev.payload), "payload", &payload);
    FUZZ_CHECK(s.ok());  // an accepted event is storable
    b.AddString("record_kind", "event")
        .AddString("type", ev.Type())
        .AddString("event_type", ev.Type())
        .AddRaw("payload", std::move(payload));
  }
  return b.Build() + "\n";
}

std::string ExpectedChunkLine(const Chunk& ch, int64_t piece_seq) {
  std::string data;
  json::AppendBase64(ch.Data(), &data);
  json::ObjectBuilder b;
  b.AddString("record_kind", "artifact_chunk")
      .AddString("artifact_id", ch.ArtifactId())
      .AddInt("seq", piece_seq)
      .AddBool("is_last", ch.is_last)
      .AddUint("offset", ch.offset)
      .AddUint("length", ch.data.size)
      .AddString("data", data)
      .AddString("event_type", "artifact")
      .AddString("source", kSource)
      .AddString("category", kCategory)
      .AddString("day", kDay)
      .AddString("run_id", kRunId);
  return b.Build() + "\n";
}

// What a string reads as once stored: ill-formed UTF-8 comes back as U+FFFD (§4.8).
std::string AsStored(std::string_view s) {
  std::string quoted;
  json::AppendString(s, &quoted);
  return nlohmann::json::parse(quoted).get<std::string>();
}

policy::PolicyConfig ConfigFrom(uint8_t which, uint8_t knobs) {
  policy::PolicyConfig c;
  switch (which % 3) {
    case 0:
      c.name = "strict";
      break;
    case 1:
      c.name = "buffered";
      // Small limits, so that drops, evictions and "buffer full" all happen.
      c.buffer_events = knobs & 7;
      c.buffer_bytes = ((knobs >> 3) & 3) * 700;
      if (c.buffer_events == 0 && c.buffer_bytes == 0) c.buffer_events = 3;
      c.flush_mode = (knobs >> 5) % 3 == 0   ? "at_least_once"
                     : (knobs >> 5) % 3 == 1 ? "chunks_first"
                                             : "two_phase";
      break;
    default:
      c.name = "streaming";
      c.flush_count = 1 + (knobs & 7);
      break;
  }
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const policy::PolicyConfig config = ConfigFrom(data[0], data[1]);
  std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  auto store = lode::NewMemStore();
  lode::RunDescriptor d;
  d.run_id = kRunId;
  d.source = kSource;
  d.category = kCategory;
  d.day = kDay;
  d.policy = config.name;
  d.executor = "executor.mjs";
  d.started_at = "2026-03-22T09:15:00.000Z";
  lode::RunWriter writer(store, d);
  std::vector<std::string> warnings;
  FUZZ_CHECK(policy::ValidatePolicyConfig(config, &warnings).ok());
  auto inner = policy::NewPolicy(config, &writer);
  FUZZ_CHECK(inner.ok());
  AcceptedLog policy(std::move(*inner));

  const run::RunMeta meta{kRunId, 1, std::nullopt, std::nullopt};
  run::Ingestor ingestor(meta, &policy, &writer, nullptr, nullptr);
  ipc::FrameReader reader;
  reader.Feed(stream);
  std::string acks;
  for (;;) {
    auto next = reader.Next();
    if (!next.ok() || !next->has_value()) break;
    if (ingestor.OnPayload(std::move(**next), &acks)) break;
  }
  ingestor.Finish();
  const Status flushed = policy.Flush();
  const Status closed = policy.Close();
  // The one failure a store that never fails allows: §4.10 (see commit_before_chunks). The
  // policy_failure it ends the run with may lose what that write held; what was stored must
  // still be right, so the checks below hold for what is there.
  bool write_refused = false;
  for (const Status* st : {&flushed, &closed}) {
    if (st->ok()) continue;
    FUZZ_CHECK(policy.commit_before_chunks);
    FUZZ_CHECK(
        st->message().rfind("artifact commit rejected: no chunks written for artifact: ", 0) == 0);
    write_refused = true;
  }
  const policy::PolicyStats stats = policy.Stats();

  // Read the dataset back: every data file of the chain, once.
  auto chain = lode::WalkChain(*store, "quarry");
  FUZZ_CHECK(chain.ok());
  std::set<std::string> files;
  for (const auto& m : *chain) {
    for (const auto& f : m.files) files.insert(f.path);
  }
  std::map<int64_t, std::vector<std::string>> event_lines;  // by seq
  // By artifact and piece number (not offset: an empty chunk shares its offset with the next).
  std::map<std::pair<std::string, int64_t>, std::vector<std::string>> chunk_lines;
  for (const std::string& path : files) {
    auto bytes = store->Get(path);
    FUZZ_CHECK(bytes.ok());
    std::string_view rest = *bytes;
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      FUZZ_CHECK(nl != std::string_view::npos);  // every line ends with LF
      std::string line(rest.substr(0, nl + 1));
      rest.remove_prefix(nl + 1);
      auto rec = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      FUZZ_CHECK(rec.is_object() && rec.contains("record_kind"));
      const std::string kind = rec["record_kind"].get<std::string>();
      if (kind == "artifact_chunk") {
        chunk_lines[{rec["artifact_id"].get<std::string>(), rec["seq"].get<int64_t>()}].push_back(
            line);
      } else {
        FUZZ_CHECK(kind == "event" || kind == "artifact_event");
        event_lines[rec["seq"].get<int64_t>()].push_back(line);
      }
    }
  }

  if (write_refused || (config.name == "streaming" && policy.commit_before_chunks)) {
    // A refused write: whatever is stored was offered, is stored once and is byte-equal.
    for (const Event& ev : policy.attempted) {
      auto it = event_lines.find(ev.seq);
      if (it == event_lines.end()) continue;
      FUZZ_CHECK(it->second.size() == 1);
      FUZZ_CHECK_EQ(it->second[0], ExpectedEventLine(ev, config.name));
      event_lines.erase(it);
    }
    FUZZ_CHECK(event_lines.empty());
    return 0;
  }

  // Events: exactly once and byte-equal, except what buffered dropped.
  uint64_t missing = 0;
  for (const Event& ev : policy.events) {
    auto it = event_lines.find(ev.seq);
    if (it == event_lines.end()) {
      FUZZ_CHECK(config.name == "buffered" && ev.Droppable());
      ++missing;
      continue;
    }
    FUZZ_CHECK(it->second.size() == 1);
    FUZZ_CHECK_EQ(it->second[0], ExpectedEventLine(ev, config.name));
    event_lines.erase(it);
  }
  FUZZ_CHECK(event_lines.empty());  // nothing stored that was not accepted
  // Buffered counts drops of incoming events too (never accepted, so never in policy.events).
  FUZZ_CHECK(missing <= stats.events_dropped);
  FUZZ_CHECK(stats.events_persisted == policy.events.size() - missing);

  // Chunks: once each, byte-equal; pieces numbered 1, 2, ... per artifact.
  std::map<std::string, int64_t> pieces;
  for (const Chunk& ch : policy.chunks) {
    const int64_t piece = ++pieces[std::string(ch.ArtifactId())];
    // Two artifact ids that differ only in ill-formed bytes read back the same: their pieces
    // then share a key here and the "once" check below fails, as it should (they can no longer
    // be told apart in the dataset).
    auto it = chunk_lines.find({AsStored(ch.ArtifactId()), piece});
    FUZZ_CHECK(it != chunk_lines.end());
    FUZZ_CHECK(it->second.size() == 1);
    FUZZ_CHECK_EQ(it->second[0], ExpectedChunkLine(ch, piece));
    chunk_lines.erase(it);
  }
  FUZZ_CHECK(chunk_lines.empty());
  return 0;
}
