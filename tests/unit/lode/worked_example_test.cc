// storage-and-policies.md §4.16 reproduced byte for byte on a real filesystem store.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <mutex>
#include <set>

#include "lode/mem_store.h"

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

constexpr int64_t kS1 = 1774170900120500000;
constexpr int64_t kS2 = 1774170900210500000;
constexpr int64_t kS3 = 1774170900300500000;
constexpr int64_t kS4 = 1774170900350500000;
constexpr int64_t kS5 = 1774170900360500000;
constexpr int64_t kS6 = 1774170900400500000;
constexpr int64_t kS7 = 1774170900500500000;
constexpr int64_t kS8 = 1774170901000500000;
// Each manifest is built 112,340 ns after its snapshot id was taken (S7: ...500612340).
constexpr int64_t kBuildDelay = 112340;

const char kS1Line[] =
    R"({"attempt":1,"category":"products","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c01","event_type":"item","job_id":"job-42","payload":{"data":{"price":9.5,"sku":"A1"},"item_type":"product"},"policy":"strict","record_kind":"event","run_id":"run-001","seq":1,"source":"shop","ts":"2026-03-22T09:15:00.120Z","type":"item"})"
    "\n";
const char kS3Line[] =
    R"({"attempt":1,"category":"products","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c03","event_type":"log","job_id":"job-42","payload":{"level":"info","message":"page done"},"policy":"strict","record_kind":"event","run_id":"run-001","seq":3,"source":"shop","ts":"2026-03-22T09:15:00.300Z","type":"log"})"
    "\n";
const char kS4Line[] =
    R"({"artifact_id":"art-1","category":"products","data":"YWJjZA==","day":"2026-03-22","event_type":"artifact","is_last":false,"length":4,"offset":0,"record_kind":"artifact_chunk","run_id":"run-001","seq":1,"source":"shop"})"
    "\n";
const char kS5Line[] =
    R"({"artifact_id":"art-1","category":"products","data":"ZWY=","day":"2026-03-22","event_type":"artifact","is_last":true,"length":2,"offset":4,"record_kind":"artifact_chunk","run_id":"run-001","seq":2,"source":"shop"})"
    "\n";
const char kS6Line[] =
    R"({"artifact_id":"art-1","attempt":1,"category":"products","content_type":"image/png","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c04","event_type":"artifact","job_id":"job-42","name":"shot.png","policy":"strict","record_kind":"artifact_event","run_id":"run-001","seq":4,"size_bytes":6,"source":"shop","ts":"2026-03-22T09:15:00.400Z"})"
    "\n";
const char kS7Line[] =
    R"({"attempt":1,"category":"products","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c05","event_type":"run_complete","job_id":"job-42","payload":{},"policy":"strict","record_kind":"event","run_id":"run-001","seq":5,"source":"shop","ts":"2026-03-22T09:15:00.500Z","type":"run_complete"})"
    "\n";
const char kS8Record[] =
    R"({"category":"products","day":"2026-03-22","event_type":"metrics","events_dropped_total":0,"events_persisted_total":5,"events_received_total":5,"executor":"executor.mjs","executor_crash_total":0,"executor_launch_failure_total":0,"executor_launch_success_total":1,"ipc_decode_errors_total":0,"job_id":"job-42","lode_write_failure_total":0,"lode_write_retry_total":0,"lode_write_success_total":7,"outcome":"success","outcome_message":"run completed","policy":"strict","record_kind":"metrics","run_id":"run-001","runs_completed_total":1,"runs_crashed_total":0,"runs_failed_total":0,"runs_started_total":1,"source":"shop","storage_backend":"fs","ts":"2026-03-22T09:15:01Z"})";

const char kS7Manifest[] = R"({
  "schema_name": "lode-manifest",
  "format_version": "1.0.0",
  "dataset_id": "quarry",
  "snapshot_id": "1774170900500500000",
  "created_at": "2026-03-22T09:15:00.50061234Z",
  "metadata": {
    "quarry_runs": [
      {
        "attempt": 1,
        "category": "products",
        "day": "2026-03-22",
        "executor": "executor.mjs",
        "job_id": "job-42",
        "policy": "strict",
        "run_id": "run-001",
        "source": "shop",
        "started_at": "2026-03-22T09:15:00.012Z"
      }
    ],
    "sidecar_files": [
      {
        "path": "datasets/quarry/partitions/source=shop/category=products/day=2026-03-22/run_id=run-001/files/page.html",
        "filename": "page.html",
        "content_type": "text/html",
        "size": 120
      }
    ]
  },
  "files": [
    {
      "path": "datasets/quarry/partitions/source=shop/category=products/day=2026-03-22/run_id=run-001/event_type=run_complete/segments/1774170900500500000/data/data",
      "size_bytes": 329
    }
  ],
  "parent_snapshot_id": "1774170900400500000",
  "row_count": 1,
  "codec": "jsonl",
  "compressor": "noop",
  "partitioner": "hive"
})";

const char kRunPrefix[] =
    "datasets/quarry/partitions/source=shop/category=products/day=2026-03-22/run_id=run-001/";

EventSpec ExampleEvent(int64_t seq, std::string type, std::string ts) {
  EventSpec s;
  s.event_id = "5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c0" + std::to_string(seq);
  s.type = std::move(type);
  s.ts = std::move(ts);
  s.seq = seq;
  s.job_id = "job-42";
  return s;
}

std::string ItemPayload() {
  // Key order on the wire is irrelevant; sorted output is the writer's job.
  return Pack([](Packer& p) {
    p.pack_map(2);
    PackStr(p, "item_type");
    PackStr(p, "product");
    PackStr(p, "data");
    p.pack_map(2);
    PackStr(p, "sku");
    PackStr(p, "A1");
    PackStr(p, "price");
    p.pack_double(9.5);
  });
}

std::string DataPath(std::string_view type, int64_t id) {
  return std::string(kRunPrefix) + "event_type=" + std::string(type) + "/segments/" +
         std::to_string(id) + "/data/data";
}

class WorkedExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenFsStore(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = *store;
    std::vector<int64_t> instants;
    for (int64_t id : {kS1, kS2, kS3, kS4, kS5, kS6, kS7, kS8}) {
      instants.push_back(id);
      instants.push_back(id + kBuildDelay);
    }
    auto clock = std::make_shared<testing::ScriptedClock>(instants);
    WriterOptions options;
    options.now_unix_ns = [clock] { return (*clock)(); };
    writer_ = std::make_unique<RunWriter>(store_, testing::ExampleRun(), options);
  }

  void RunExample() {
    EventSpec e1 = ExampleEvent(1, "item", "2026-03-22T09:15:00.120Z");
    e1.payload = ItemPayload();
    ASSERT_TRUE(writer_->WriteEvents(std::vector<Event>{MakeEvent(e1)}).ok());
    EventSpec e2 = ExampleEvent(2, "item", "2026-03-22T09:15:00.210Z");
    e2.payload = ItemPayload();
    ASSERT_TRUE(writer_->WriteEvents(std::vector<Event>{MakeEvent(e2)}).ok());
    EventSpec e3 = ExampleEvent(3, "log", "2026-03-22T09:15:00.300Z");
    e3.payload = Pack([](Packer& p) {
      p.pack_map(2);
      PackStr(p, "message");
      PackStr(p, "page done");
      PackStr(p, "level");
      PackStr(p, "info");
    });
    ASSERT_TRUE(writer_->WriteEvents(std::vector<Event>{MakeEvent(e3)}).ok());
    ASSERT_TRUE(
        writer_->WriteChunks(std::vector<Chunk>{MakeChunk("art-1", 1, false, 0, "abcd")}).ok());
    ASSERT_TRUE(
        writer_->WriteChunks(std::vector<Chunk>{MakeChunk("art-1", 2, true, 4, "ef")}).ok());
    EventSpec e4 = ExampleEvent(4, "artifact", "2026-03-22T09:15:00.400Z");
    e4.artifact_id = "art-1";
    e4.artifact_name = "shot.png";
    e4.artifact_content_type = "image/png";
    e4.artifact_size_bytes = 6;
    ASSERT_TRUE(writer_->WriteEvents(std::vector<Event>{MakeEvent(e4)}).ok());
    auto key = writer_->PutSidecar("page.html", "text/html", std::string(120, 'x'));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(*key, std::string(kRunPrefix) + "files/page.html");
    EventSpec e5 = ExampleEvent(5, "run_complete", "2026-03-22T09:15:00.500Z");
    ASSERT_TRUE(writer_->WriteEvents(std::vector<Event>{MakeEvent(e5)}).ok());
    ASSERT_TRUE(writer_->WriteMetrics(kS8Record).ok());
  }

  std::string Read(std::string_view rel) const { return testing::ReadFile(dir_ / rel); }

  testing::TempDir dir_;
  std::shared_ptr<Store> store_;
  std::unique_ptr<RunWriter> writer_;
};

TEST_F(WorkedExampleTest, DataLinesMatchByteForByte) {
  RunExample();
  EXPECT_EQ(Read(DataPath("item", kS1)), kS1Line);
  EXPECT_EQ(Read(DataPath("log", kS3)), kS3Line);
  EXPECT_EQ(Read(DataPath("artifact", kS4)), kS4Line);
  EXPECT_EQ(Read(DataPath("artifact", kS5)), kS5Line);
  EXPECT_EQ(Read(DataPath("artifact", kS6)), kS6Line);
  EXPECT_EQ(Read(DataPath("run_complete", kS7)), kS7Line);
  EXPECT_EQ(Read(DataPath("metrics", kS8)), std::string(kS8Record) + "\n");
  EXPECT_EQ(std::string(kS7Line).size(), 329u);
}

TEST_F(WorkedExampleTest, S7ManifestMatchesByteForByte) {
  RunExample();
  const std::string canonical = Read("datasets/quarry/segments/1774170900500500000/manifest.json");
  EXPECT_EQ(canonical, kS7Manifest);
  const std::string copy =
      Read(std::string(kRunPrefix) +
           "event_type=run_complete/segments/1774170900500500000/manifest.json");
  EXPECT_EQ(copy, canonical);
}

TEST_F(WorkedExampleTest, TreeMatchesTheLayout) {
  RunExample();
  EXPECT_EQ(Read("datasets/quarry/latest"), "1774170901000500000");
  EXPECT_TRUE(std::filesystem::is_regular_file(dir_ / "datasets/quarry/latest.lock"));
  EXPECT_EQ(std::filesystem::file_size(dir_ / "datasets/quarry/latest.lock"), 0u);
  EXPECT_EQ(Read(std::string(kRunPrefix) + "files/page.html"), std::string(120, 'x'));
  EXPECT_EQ(Read(std::string(kRunPrefix) + "files/page.html.meta.json"),
            R"({"content_type":"text/html"})");

  // Exactly the objects of §4.16: 8 canonical manifests, 8 data files, 8 partition copies, the
  // sidecar pair, the pointer and its lock. No temporary file survives.
  std::vector<std::string> all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (e.is_regular_file()) {
      all.push_back(std::filesystem::relative(e.path(), dir_.path()).string());
    }
  }
  EXPECT_EQ(all.size(), 8u * 3 + 2 + 2);
  for (const std::string& p : all) EXPECT_EQ(p.find(".lode-"), std::string::npos) << p;

  const std::pair<int64_t, const char*> snapshots[] = {
      {kS1, "item"},     {kS2, "item"},     {kS3, "log"},          {kS4, "artifact"},
      {kS5, "artifact"}, {kS6, "artifact"}, {kS7, "run_complete"}, {kS8, "metrics"}};
  for (const auto& [id, type] : snapshots) {
    const std::string canonical =
        Read("datasets/quarry/segments/" + std::to_string(id) + "/manifest.json");
    ASSERT_FALSE(canonical.empty()) << id;
    EXPECT_EQ(Read(std::string(kRunPrefix) + "event_type=" + type + "/segments/" +
                   std::to_string(id) + "/manifest.json"),
              canonical);
  }
}

TEST_F(WorkedExampleTest, ChainLinksEverySnapshotToItsPredecessor) {
  RunExample();
  auto chain = WalkChain(*store_, "quarry");
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  const std::vector<int64_t> expected = {kS8, kS7, kS6, kS5, kS4, kS3, kS2, kS1};
  ASSERT_EQ(chain->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*chain)[i].snapshot_id, std::to_string(expected[i]));
    EXPECT_EQ((*chain)[i].row_count, 1u);
  }
  EXPECT_FALSE(chain->back().parent_snapshot_id.has_value());
  EXPECT_EQ(chain->back().raw.find("parent_snapshot_id"), std::string::npos);

  // Only S7 (next event write after the put) carries the sidecar; S8 does not repeat it.
  for (const Manifest& m : *chain) {
    EXPECT_EQ(m.metadata.contains("sidecar_files"), m.snapshot_id == std::to_string(kS7))
        << m.snapshot_id;
    ASSERT_TRUE(m.metadata.contains("quarry_runs"));
  }
  EXPECT_EQ(writer_->retries(), 0u);
}

TEST_F(WorkedExampleTest, ObjectModesAre0644And0755) {
  RunExample();
  struct stat st;
  ASSERT_EQ(::stat((dir_ / DataPath("item", kS1)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ASSERT_EQ(::stat((dir_ / "datasets/quarry/latest").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ASSERT_EQ(::stat((dir_ / "datasets/quarry/segments").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

// The §4.16 run under `buffered`: a chunk snapshot, then one events snapshot, then metrics.
TEST(WorkedExampleBufferedTest, ThreeSnapshotsWithTheEventsInOne) {
  auto store = std::make_shared<MemStore>();
  RunDescriptor run = testing::ExampleRun();
  run.policy = "buffered";
  RunWriter writer(store, run, testing::FastOptions());
  ASSERT_TRUE(writer
                  .WriteChunks(std::vector<Chunk>{MakeChunk("art-1", 1, false, 0, "abcd"),
                                                  MakeChunk("art-1", 2, true, 4, "ef")})
                  .ok());
  ASSERT_TRUE(writer.PutSidecar("page.html", "text/html", std::string(120, 'x')).ok());
  std::vector<Event> events;
  EventSpec e1 = ExampleEvent(1, "item", "2026-03-22T09:15:00.120Z");
  e1.payload = ItemPayload();
  events.push_back(MakeEvent(e1));
  EventSpec e2 = ExampleEvent(2, "item", "2026-03-22T09:15:00.210Z");
  e2.payload = ItemPayload();
  events.push_back(MakeEvent(e2));
  events.push_back(MakeEvent(ExampleEvent(3, "log", "2026-03-22T09:15:00.300Z")));
  EventSpec e4 = ExampleEvent(4, "artifact", "2026-03-22T09:15:00.400Z");
  e4.artifact_id = "art-1";
  e4.artifact_name = "shot.png";
  e4.artifact_content_type = "image/png";
  e4.artifact_size_bytes = 6;
  events.push_back(MakeEvent(e4));
  events.push_back(MakeEvent(ExampleEvent(5, "run_complete", "2026-03-22T09:15:00.500Z")));
  ASSERT_TRUE(writer.WriteEvents(events).ok());
  ASSERT_TRUE(writer.WriteMetrics(kS8Record).ok());

  auto chain = WalkChain(*store, "quarry");
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 3u);
  const Manifest& chunks = (*chain)[2];
  const Manifest& evs = (*chain)[1];
  ASSERT_EQ(chunks.files.size(), 1u);
  EXPECT_EQ(*store->Get(chunks.files[0].path), std::string(kS4Line) + kS5Line);
  EXPECT_FALSE(chunks.metadata.contains("sidecar_files"));
  EXPECT_EQ(evs.parent_snapshot_id, chunks.snapshot_id);
  EXPECT_EQ(evs.row_count, 5u);
  std::vector<std::string> types;
  for (const auto& f : evs.files) {
    const size_t at = f.path.find("event_type=") + 11;
    types.push_back(f.path.substr(at, f.path.find('/', at) - at));
  }
  EXPECT_EQ(types, (std::vector<std::string>{"artifact", "item", "log", "run_complete"}));
  EXPECT_EQ(evs.metadata["sidecar_files"].size(), 1u);
  EXPECT_EQ(evs.metadata["quarry_runs"][0]["policy"], "buffered");
  int copies = 0;
  for (const auto& [path, bytes] : store->Snapshot()) {
    if (path.find("/segments/" + evs.snapshot_id + "/manifest.json") != std::string::npos) {
      EXPECT_EQ(bytes, evs.raw);
      ++copies;
    }
    if (path.find("/data/data") != std::string::npos &&
        path.find("event_type=metrics") == std::string::npos &&
        bytes.find("\"record_kind\":\"artifact_chunk\"") == std::string::npos) {
      EXPECT_NE(bytes.find("\"policy\":\"buffered\""), std::string::npos) << path;
    }
  }
  EXPECT_EQ(copies, 5);
}

// Checklist 26: every object is put exactly once; only `latest` is ever replaced.
TEST(WorkedExampleBufferedTest, NoObjectIsWrittenTwice) {
  auto store = std::make_shared<MemStore>();
  std::vector<std::string> puts;
  std::vector<std::string> swaps;
  std::mutex mu;
  store->SetHook([&](StoreOp op, std::string_view path, std::string_view) {
    std::lock_guard<std::mutex> lock(mu);
    if (op == StoreOp::kPut) puts.emplace_back(path);
    if (op == StoreOp::kCas) swaps.emplace_back(path);
    return Status::Ok();
  });
  RunWriter writer(store, testing::ExampleRun(), testing::FastOptions());
  for (int64_t seq = 1; seq <= 5; ++seq) {
    ASSERT_TRUE(
        writer.WriteEvents(std::vector<Event>{MakeEvent(ExampleEvent(seq, "item", "t"))}).ok());
  }
  ASSERT_TRUE(writer.PutSidecar("a", "t", "x").ok());
  ASSERT_TRUE(writer.WriteMetrics(kS8Record).ok());
  std::set<std::string> unique(puts.begin(), puts.end());
  EXPECT_EQ(unique.size(), puts.size());
  EXPECT_EQ(puts.size(), 6u * 3 + 2);
  for (const std::string& p : swaps) EXPECT_EQ(p, "datasets/quarry/latest");
  EXPECT_EQ(swaps.size(), 6u);
}

}  // namespace
}  // namespace quarry::lode
