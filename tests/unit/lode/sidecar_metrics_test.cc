// Sidecar files (storage-and-policies.md §4.12), the metrics record write (§4.9) and the run
// descriptor (§4.13).
#include <gtest/gtest.h>

#include "lode/manifest.h"
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

class SidecarTest : public ::testing::Test {
 protected:
  Status WriteItem(int64_t seq) {
    EventSpec e;
    e.seq = seq;
    return writer_.WriteEvents(std::vector<Event>{MakeEvent(e)});
  }

  // Snapshot id -> the filenames its manifest lists as sidecars, oldest first.
  std::vector<std::pair<std::string, std::vector<std::string>>> SidecarsPerSnapshot() {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    auto chain = WalkChain(*store_, "quarry");
    EXPECT_TRUE(chain.ok());
    for (auto it = chain->rbegin(); it != chain->rend(); ++it) {
      std::vector<std::string> names;
      if (it->metadata.contains("sidecar_files")) {
        for (const auto& s : it->metadata["sidecar_files"]) names.push_back(s["filename"]);
      }
      out.emplace_back(it->snapshot_id, names);
    }
    return out;
  }

  std::shared_ptr<MemStore> store_ = std::make_shared<MemStore>();
  RunWriter writer_{store_, testing::ExampleRun(), testing::FastOptions()};
};

TEST_F(SidecarTest, FileAndMetaAreWrittenAtOnceWithoutASnapshot) {
  auto key = writer_.PutSidecar("a.json", "application/json", "{}");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, SidecarPath(testing::ExampleRun(), "a.json"));
  EXPECT_EQ(*store_->Get(*key), "{}");
  EXPECT_EQ(*store_->Get(*key + ".meta.json"), R"({"content_type":"application/json"})");
  EXPECT_EQ(store_->Snapshot().size(), 2u);  // no manifest, no pointer
}

TEST_F(SidecarTest, ContentTypeIsJsonEscaped) {
  auto key = writer_.PutSidecar("b", "text/x;q=\"<1>\"", "");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*store_->Get(*key + ".meta.json"), R"({"content_type":"text/x;q=\"\u003c1\u003e\""})");
}

TEST_F(SidecarTest, DuplicateFilenameFailsOnlyThatPut) {
  ASSERT_TRUE(writer_.PutSidecar("p.html", "text/html", "one").ok());
  auto again = writer_.PutSidecar("p.html", "text/html", "two");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(),
            "write " + SidecarPath(testing::ExampleRun(), "p.html") + ": path already exists")
      << again.status().message();
  EXPECT_EQ(*store_->Get(SidecarPath(testing::ExampleRun(), "p.html")), "one");
  ASSERT_TRUE(WriteItem(1).ok());
  EXPECT_EQ(SidecarsPerSnapshot().back().second, std::vector<std::string>{"p.html"});
}

TEST_F(SidecarTest, InvalidFilenamesAreRejected) {
  for (const char* bad : {"", "a/b", "a\\b", "..", "x..y"}) {
    EXPECT_EQ(writer_.PutSidecar(bad, "t", "d").status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_FALSE(writer_.PutSidecar("big", "t", std::string(8388609, 'x')).ok());
  EXPECT_TRUE(writer_.PutSidecar("max", "t", std::string(8388608, 'x')).ok());
}

// §4.3 fixes the companion of sidecar `x` as `x.meta.json`, so a sidecar of that name would take
// over the companion path of a later `x` (whose put then failed halfway). Such names are refused
// before anything is written, and `x` keeps its own companion.
TEST_F(SidecarTest, NamesEndingInTheCompanionSuffixAreRefused) {
  auto reserved = writer_.PutSidecar("x.meta.json", "application/json", "{}");
  ASSERT_FALSE(reserved.ok());
  EXPECT_EQ(reserved.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reserved.status().message(),
            "invalid sidecar filename \"x.meta.json\": names ending in \".meta.json\" are "
            "reserved for the content-type companions of sidecar files");
  EXPECT_FALSE(writer_.PutSidecar(".meta.json", "t", "").ok());
  ASSERT_TRUE(writer_.PutSidecar("x", "text/csv", "a,b").ok());
  const std::string path = SidecarPath(testing::ExampleRun(), "x");
  EXPECT_EQ(*store_->Get(path + ".meta.json"), R"({"content_type":"text/csv"})");
  EXPECT_FALSE(*store_->Exists(path + ".meta.json.meta.json"));
  // Names that merely contain the suffix are ordinary names.
  EXPECT_TRUE(writer_.PutSidecar("x.meta.json.bak", "t", "").ok());
}

// Two names differing only in invalid bytes would be the same "\ufffd" name in the manifest.
TEST_F(SidecarTest, FilenamesThatAreNotUtf8AreRefused) {
  auto bad = writer_.PutSidecar("r\xff.txt", "text/plain", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "invalid sidecar filename \"r\\xff.txt\": not valid UTF-8, so the manifest could not "
            "name it");
  EXPECT_TRUE(store_->Snapshot().empty());
  EXPECT_TRUE(writer_.PutSidecar("caf\xc3\xa9.txt", "text/plain", "x").ok());
}

// A put whose companion cannot be written leaves neither object behind (the manifest would never
// list the file), queues no reference, and the same name can be put again afterwards.
TEST_F(SidecarTest, AFailedCompanionPutRemovesTheFile) {
  store_->SetHook([](StoreOp op, std::string_view path, std::string_view) {
    if (op == StoreOp::kPut && path.ends_with(".meta.json")) return IOError("disk full");
    return Status::Ok();
  });
  auto failed = writer_.PutSidecar("report.csv", "text/csv", "a,b");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("disk full"), std::string::npos);
  EXPECT_TRUE(store_->Snapshot().empty()) << store_->Snapshot().begin()->first;
  store_->SetHook(nullptr);
  ASSERT_TRUE(writer_.PutSidecar("report.csv", "text/csv", "a,b").ok());
  ASSERT_TRUE(WriteItem(1).ok());
  EXPECT_EQ(SidecarsPerSnapshot().back().second, std::vector<std::string>{"report.csv"});
}

// A put that fails after its object appeared (say the directory sync failed) removes that object
// too; an "already exists" answer leaves the other writer's object alone.
TEST_F(SidecarTest, AFailedFilePutRemovesWhatItCreatedButNotWhatWasThere) {
  const std::string path = SidecarPath(testing::ExampleRun(), "half.bin");
  store_->SetHook([this, path](StoreOp op, std::string_view p, std::string_view data) {
    if (op == StoreOp::kPut && p == path) {
      store_->Set(p, data);
      return IOError("fsync: input/output error");
    }
    return Status::Ok();
  });
  EXPECT_FALSE(writer_.PutSidecar("half.bin", "application/octet-stream", "xyz").ok());
  EXPECT_TRUE(store_->Snapshot().empty());
  store_->SetHook(nullptr);

  const std::string theirs = SidecarPath(testing::ExampleRun(), "theirs.txt");
  store_->Set(theirs + ".meta.json", R"({"content_type":"text/plain"})");
  EXPECT_FALSE(writer_.PutSidecar("theirs.txt", "text/html", "mine").ok());
  EXPECT_FALSE(*store_->Exists(theirs));  // ours is removed again
  EXPECT_EQ(*store_->Get(theirs + ".meta.json"), R"({"content_type":"text/plain"})");
}

TEST_F(SidecarTest, ReferenceRidesTheNextSuccessfulEventSnapshotNeverAChunkSnapshot) {
  ASSERT_TRUE(writer_.PutSidecar("f1", "text/plain", "12345").ok());
  ASSERT_TRUE(writer_.WriteChunks(std::vector<Chunk>{MakeChunk("a", 1, true, 0, "x")}).ok());

  // A failed event write keeps the queue.
  store_->SetHook([](StoreOp op, std::string_view path, std::string_view) {
    return op == StoreOp::kPut && path.find("/data/data") != std::string::npos ? IOError("injected")
                                                                               : Status::Ok();
  });
  EXPECT_FALSE(WriteItem(1).ok());
  store_->SetHook(nullptr);

  ASSERT_TRUE(writer_.PutSidecar("f2", "text/plain", "6").ok());
  ASSERT_TRUE(WriteItem(1).ok());
  ASSERT_TRUE(WriteItem(2).ok());
  auto per = SidecarsPerSnapshot();
  ASSERT_EQ(per.size(), 3u);
  EXPECT_TRUE(per[0].second.empty());  // chunk snapshot
  EXPECT_EQ(per[1].second, (std::vector<std::string>{"f1", "f2"}));
  EXPECT_TRUE(per[2].second.empty());  // listed exactly once

  auto chain = WalkChain(*store_, "quarry");
  const auto& ref = (*chain)[1].metadata["sidecar_files"][0];
  EXPECT_EQ(ref["path"], SidecarPath(testing::ExampleRun(), "f1"));
  EXPECT_EQ(ref["content_type"], "text/plain");
  EXPECT_EQ(ref["size"], 5);
  // Sidecars are never data files of a snapshot.
  for (const auto& f : (*chain)[1].files) EXPECT_EQ(f.path.find("/files/"), std::string::npos);
}

TEST_F(SidecarTest, MetricsSnapshotCarriesQueuedReferences) {
  ASSERT_TRUE(writer_.PutSidecar("late.txt", "text/plain", "x").ok());
  ASSERT_TRUE(writer_.WriteMetrics(R"({"record_kind":"metrics"})").ok());
  auto per = SidecarsPerSnapshot();
  ASSERT_EQ(per.size(), 1u);
  EXPECT_EQ(per[0].second, std::vector<std::string>{"late.txt"});
}

TEST(MetricsWriteTest, StoredAsOneLineInTheMetricsPartition) {
  auto store = std::make_shared<MemStore>();
  RunWriter writer(store, testing::ExampleRun(), testing::FastOptions());
  const std::string line = R"({"event_type":"metrics","record_kind":"metrics","run_id":"run-001"})";
  ASSERT_TRUE(writer.WriteMetrics(line).ok());
  auto chain = WalkChain(*store, "quarry");
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 1u);
  const Manifest& m = chain->front();
  EXPECT_EQ(m.row_count, 1u);
  ASSERT_EQ(m.files.size(), 1u);
  EXPECT_NE(m.files[0].path.find("/run_id=run-001/event_type=metrics/segments/"),
            std::string::npos);
  EXPECT_EQ(*store->Get(m.files[0].path), line + "\n");
  EXPECT_EQ(m.metadata["quarry_runs"][0]["run_id"], "run-001");
  EXPECT_FALSE(writer.WriteMetrics("not json").ok());
}

TEST(RunDescriptorTest, RootRunHasNoFanoutLink) {
  const std::string json = RunDescriptorJson(testing::ExampleRun());
  EXPECT_EQ(
      json,
      R"({"attempt":1,"category":"products","day":"2026-03-22","executor":"executor.mjs","job_id":"job-42","policy":"strict","run_id":"run-001","source":"shop","started_at":"2026-03-22T09:15:00.012Z"})");
}

TEST(RunDescriptorTest, ChildRunCarriesTheFanoutLinkSorted) {
  RunDescriptor run = testing::ExampleRun();
  run.run_id = "child-1";
  run.attempt = 2;
  run.parent_run_id = "child-0";
  run.fanout = FanoutLink{"run-001", "ev-9", 1};
  EXPECT_EQ(
      RunDescriptorJson(run),
      R"({"attempt":2,"category":"products","day":"2026-03-22","enqueued_by_event_id":"ev-9","enqueued_by_run_id":"run-001","executor":"executor.mjs","fanout_depth":1,"job_id":"job-42","parent_run_id":"child-0","policy":"strict","run_id":"child-1","source":"shop","started_at":"2026-03-22T09:15:00.012Z"})");
}

TEST(ManifestFormatTest, CreatedAtTrimsTrailingZeros) {
  EXPECT_EQ(FormatRfc3339Nanos(1774170900500612340), "2026-03-22T09:15:00.50061234Z");
  EXPECT_EQ(FormatRfc3339Nanos(1774170900000000000), "2026-03-22T09:15:00Z");
  EXPECT_EQ(FormatRfc3339Nanos(1774170900100000000), "2026-03-22T09:15:00.1Z");
  EXPECT_EQ(FormatRfc3339Nanos(1774170900000000001), "2026-03-22T09:15:00.000000001Z");
  EXPECT_EQ(FormatRfc3339Nanos(0), "1970-01-01T00:00:00Z");
}

TEST(ManifestFormatTest, IndentMatchesGoMarshalIndent) {
  std::string out;
  IndentJson(R"({"a":[],"b":{},"c":[1,{"d":"x,:{}[]\"y"}],"e":{"f":null}})", &out);
  EXPECT_EQ(out,
            "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": "
            "\"x,:{}[]\\\"y\"\n    }\n  ],\n  \"e\": {\n    \"f\": null\n  }\n}");
}

TEST(ManifestFormatTest, KeysInSpecOrderAndParentOmittedForTheFirstSnapshot) {
  const std::string runs[] = {R"({"run_id":"r"})"};
  const FileRef files[] = {{"datasets/q/partitions/p/segments/1/data/data", 10}};
  ManifestFields f;
  f.dataset_id = "q";
  f.snapshot_id = "1";
  f.created_at_unix_ns = 1;
  f.runs_indented = runs;
  f.files = files;
  f.row_count = 2;
  const std::string m = BuildManifestJson(f);
  const char* keys[] = {"schema_name", "format_version", "dataset_id", "snapshot_id",
                        "created_at",  "metadata",       "files",      "row_count",
                        "codec",       "compressor",     "partitioner"};
  size_t pos = 0;
  for (const char* k : keys) {
    const size_t at = m.find(std::string("\n  \"") + k + "\":");
    ASSERT_NE(at, std::string::npos) << k;
    EXPECT_GT(at, pos) << k;
    pos = at;
  }
  EXPECT_EQ(m.find("parent_snapshot_id"), std::string::npos);
  EXPECT_EQ(m.find("sidecar_files"), std::string::npos);
  EXPECT_EQ(m.find("checksum"), std::string::npos);
  EXPECT_NE(m.back(), '\n');
}

}  // namespace
}  // namespace quarry::lode
