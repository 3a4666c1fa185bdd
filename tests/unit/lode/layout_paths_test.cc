// Partition escaping and object paths (storage-and-policies.md §4.3, §4.4, §4.12).
#include <gtest/gtest.h>

#include <regex>

#include "lode/mem_store.h"
#include "lode/object_path.h"
#include "lode/partition.h"
#include "lode/test_events.h"
#include "lode/test_support.h"
#include "quarry/lode/reader.h"
#include "quarry/lode/run_writer.h"

namespace quarry::lode {
namespace {

TEST(EscapePartitionValueTest, KeepsTheLiteralSetAndEscapesEverythingElse) {
  EXPECT_EQ(EscapePartitionValue("shop eu/1"), "shop%20eu%2F1");
  EXPECT_EQ(EscapePartitionValue("AZaz09-_.~$&+:=@"), "AZaz09-_.~$&+:=@");
  EXPECT_EQ(EscapePartitionValue("100%"), "100%25");
  EXPECT_EQ(EscapePartitionValue("a;b,c?d"), "a%3Bb%2Cc%3Fd");
  EXPECT_EQ(EscapePartitionValue("caf\xc3\xa9"), "caf%C3%A9");
  EXPECT_EQ(EscapePartitionValue("\xe6\x97\xa5"), "%E6%97%A5");
  EXPECT_EQ(EscapePartitionValue(std::string("a\0b", 3)), "a%00b");
  EXPECT_EQ(EscapePartitionValue(""), "");
  EXPECT_EQ(EscapePartitionValue("#[]!'()*"), "%23%5B%5D%21%27%28%29%2A");
}

TEST(PathsTest, EveryObjectPathPattern) {
  const std::string part = PartitionPath("s", "c", "2026-03-22", "r", "item");
  EXPECT_EQ(part, "source=s/category=c/day=2026-03-22/run_id=r/event_type=item");
  EXPECT_EQ(DataFilePath("quarry", part, "17"),
            "datasets/quarry/partitions/" + part + "/segments/17/data/data");
  EXPECT_EQ(PartitionManifestPath("quarry", part, "17"),
            "datasets/quarry/partitions/" + part + "/segments/17/manifest.json");
  EXPECT_EQ(CanonicalManifestPath("quarry", "17"), "datasets/quarry/segments/17/manifest.json");
  EXPECT_EQ(LatestPointerPath("quarry"), "datasets/quarry/latest");
  EXPECT_EQ(SnapshotIdOfCanonicalManifest("quarry", "datasets/quarry/segments/17/manifest.json"),
            "17");
  EXPECT_EQ(SnapshotIdOfCanonicalManifest("quarry", "datasets/quarry/segments/17/x.json"), "");
  EXPECT_EQ(SnapshotIdOfCanonicalManifest("quarry", "datasets/quarry/segments/a/b/manifest.json"),
            "");
  EXPECT_EQ(ReadablePartition("quarry", "shop", "products", "2026-03-22", "run-001", "item"),
            "quarry/shop/products/2026-03-22/run-001/item");
}

TEST(PathsTest, SidecarPathEscapesPartitionValuesButNotTheFilename) {
  RunDescriptor run = testing::ExampleRun();
  run.source = "shop eu/1";
  run.run_id = "r%1";
  EXPECT_EQ(SidecarPath(run, "page.html"),
            "datasets/quarry/partitions/source=shop%20eu%2F1/category=products/day=2026-03-22/"
            "run_id=r%251/files/page.html");
  run = testing::ExampleRun();
  EXPECT_EQ(SidecarPath(run, "a b.json"),
            "datasets/quarry/partitions/source=shop/category=products/day=2026-03-22/"
            "run_id=run-001/files/a b.json");
}

// Checklist 21: every data file path of a run with awkward values has the Hive shape, keys in
// order, values escaped.
TEST(PathsTest, DataFilesOfAWriterHaveTheHiveShape) {
  auto store = std::make_shared<MemStore>();
  RunDescriptor run = testing::ExampleRun();
  run.source = "shop eu/1";
  run.category = "caf\xc3\xa9";
  run.run_id = "run 1";
  RunWriter writer(store, run, testing::FastOptions());
  testing::EventSpec e;
  e.run_id = "run 1";
  e.type = "odd/type";
  ASSERT_TRUE(writer.WriteEvents(std::vector<Event>{testing::MakeEvent(e)}).ok());
  ASSERT_TRUE(
      writer.WriteChunks(std::vector<Chunk>{testing::MakeChunk("a", 1, true, 0, "x")}).ok());
  ASSERT_TRUE(writer.WriteMetrics(R"({"record_kind":"metrics"})").ok());

  const std::regex shape(
      "datasets/quarry/partitions/source=[^/]+/category=[^/]+/day=[^/]+/run_id=[^/]+/"
      "event_type=[^/]+/segments/[0-9]{19}/data/data");
  int data_files = 0;
  for (const auto& [path, bytes] : store->Snapshot()) {
    if (path.size() < 10 || path.substr(path.size() - 10) != "/data/data") continue;
    ++data_files;
    EXPECT_TRUE(std::regex_match(path, shape)) << path;
    EXPECT_EQ(path.find("datasets/quarry/partitions/source=shop%20eu%2F1/category=caf%C3%A9/"
                        "day=2026-03-22/run_id=run%201/event_type="),
              0u)
        << path;
  }
  EXPECT_EQ(data_files, 3);
  const auto objects = store->Snapshot();
  const std::string prefix =
      "datasets/quarry/partitions/source=shop%20eu%2F1/category=caf%C3%A9/day=2026-03-22/"
      "run_id=run%201/event_type=";
  int found = 0;
  for (const char* t : {"odd%2Ftype", "artifact", "metrics"}) {
    for (const auto& [path, bytes] : objects) {
      if (path.rfind(prefix + t + "/segments/", 0) == 0) {
        ++found;
        break;
      }
    }
  }
  EXPECT_EQ(found, 3);
}

}  // namespace
}  // namespace quarry::lode
