// ReadQuarryBatchRuns on real files: counting, slicing, digest pinning and the one-line errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "worker/batch_runs_activity.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class TemporalReadBatchRunsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("quarry-runs-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "jobs.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }

  ActivityOutcome Read(json extra = json::object()) {
    json in = {{"runs_file", path_}};
    for (auto it = extra.begin(); it != extra.end(); ++it) in[it.key()] = it.value();
    return ReadBatchRuns(in);
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(TemporalReadBatchRunsTest, CountsNonBlankLinesAndReturnsTheSlice) {
  Write("{\"job\":{\"n\":0}}\n\n  \r\n{\"job\":{\"n\":1}}\r\n{\"job\":{\"n\":2}}");
  ActivityOutcome all = Read();
  ASSERT_EQ(all.kind, ActivityOutcome::Kind::kCompleted) << all.error.message;
  EXPECT_EQ(all.result["line_count"], 3);
  EXPECT_EQ(all.result["runs"].size(), 3u);
  EXPECT_EQ(all.result["sha256"].get<std::string>().size(), 64u);

  ActivityOutcome slice = Read({{"runs_offset", 1}, {"runs_count", 5}});
  ASSERT_EQ(slice.kind, ActivityOutcome::Kind::kCompleted);
  ASSERT_EQ(slice.result["runs"].size(), 2u);
  EXPECT_EQ(slice.result["runs"][0]["job"]["n"], 1);

  ActivityOutcome count = Read({{"runs_count", 0}});
  EXPECT_EQ(count.result["line_count"], 3);
  EXPECT_TRUE(count.result["runs"].empty());
}

TEST_F(TemporalReadBatchRunsTest, AChangedFileIsRefused) {
  Write("{\"job\":{}}\n");
  std::string sha = Read().result["sha256"];
  Write("{\"job\":{}}\n{\"job\":{}}\n");
  ActivityOutcome o = Read({{"runs_file_sha256", sha}});
  ASSERT_EQ(o.kind, ActivityOutcome::Kind::kFailed);
  EXPECT_EQ(o.error.type, "CONFIG_ERROR");
  EXPECT_TRUE(o.error.non_retryable);
  EXPECT_NE(o.error.message.find("changed since the batch started"), std::string::npos);
}

TEST_F(TemporalReadBatchRunsTest, ABadLineIsNamedByItsLineNumber) {
  Write("{\"job\":{}}\n\n[1,2]\n");
  ActivityOutcome o = Read();
  ASSERT_EQ(o.kind, ActivityOutcome::Kind::kFailed);
  EXPECT_NE(o.error.message.find("line 3: not a JSON object"), std::string::npos)
      << o.error.message;
}

TEST_F(TemporalReadBatchRunsTest, AMissingFileIsAConfigError) {
  ActivityOutcome o = ReadBatchRuns(json{{"runs_file", (dir_ / "nope.jsonl").string()}});
  ASSERT_EQ(o.kind, ActivityOutcome::Kind::kFailed);
  EXPECT_EQ(o.error.type, "CONFIG_ERROR");
  EXPECT_NE(o.error.message.find("nope.jsonl"), std::string::npos);
  EXPECT_NE(o.error.message.find("No such file"), std::string::npos) << o.error.message;
}

TEST_F(TemporalReadBatchRunsTest, ADeeplyNestedLineIsAConfigErrorNamingIt) {
  Write("{\"job\":{}}\n{\"job\":" + std::string(30'000, '[') + std::string(30'000, ']') + "}\n");
  ActivityOutcome o = Read();
  ASSERT_EQ(o.kind, ActivityOutcome::Kind::kFailed);
  EXPECT_EQ(o.error.type, "CONFIG_ERROR");
  EXPECT_TRUE(o.error.non_retryable);
  EXPECT_EQ(o.error.message,
            "runs file " + path_ + " line 2: nested deeper than 129 levels (at byte 135)");
}

}  // namespace
}  // namespace quarry::temporal
