// `quarry-temporal batch` planning: which workflow a file becomes, what travels inline and what
// by reference, and the one-line errors that stop a bad file before anything starts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/batch_command.h"

namespace quarry::temporal::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class TemporalBatchPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("quarry-plan-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    file_ = (dir_ / "jobs.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteRuns(int n, const std::string& extra = "") {
    std::ofstream out(file_);
    for (int i = 0; i < n; ++i) out << "{\"job\":{\"n\":" << i << "}" << extra << "}\n";
  }

  StatusOr<BatchPlan> Plan(std::vector<std::string> args, BatchShape shape = {}) {
    app_ = std::make_unique<CLI::App>();
    flags_ = RunFlags();
    AddRunFlags(app_.get(), &flags_);
    std::vector<std::string> all = {"test", "--script", "/abs/s.mjs", "--source", "shop"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const auto& a : all) argv.push_back(a.c_str());
    app_->parse(static_cast<int>(argv.size()), argv.data());
    return PlanBatch(file_, flags_, shape);
  }

  fs::path dir_;
  std::string file_;
  std::unique_ptr<CLI::App> app_;
  RunFlags flags_;
};

TEST_F(TemporalBatchPlanTest, SmallBatchGoesInlineWithFlagsAsDefaultsAndKnobsOnTop) {
  WriteRuns(3);
  auto plan = Plan({"--max-attempts", "4", "--storage-backend", "fs", "--storage-path", "/d"});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->workflow_type, "BatchExtraction");
  EXPECT_EQ(plan->runs, 3);
  const json& in = plan->input;
  EXPECT_EQ(in["runs"].size(), 3u);
  EXPECT_EQ(in["runs"][2]["job"]["n"], 2);
  EXPECT_EQ(in["defaults"]["script"], "/abs/s.mjs");
  EXPECT_EQ(in["defaults"]["storage"]["path"], "/d");
  EXPECT_FALSE(in["defaults"].contains("retry"));
  EXPECT_EQ(in["retry"]["max_attempts"], 4);
  EXPECT_FALSE(in.contains("runs_file"));
}

TEST_F(TemporalBatchPlanTest, ManyBytesGoByReferenceAndOverFiveHundredRunsGoToChunks) {
  WriteRuns(10);
  BatchShape tiny;
  tiny.max_inline_bytes = 50;
  auto by_ref = Plan({}, tiny);
  ASSERT_TRUE(by_ref.ok()) << by_ref.status().message();
  EXPECT_EQ(by_ref->workflow_type, "BatchExtraction");
  EXPECT_EQ(by_ref->input["runs_file"], fs::absolute(file_).lexically_normal().string());
  EXPECT_FALSE(by_ref->input.contains("runs"));

  WriteRuns(501);
  BatchShape shape;
  shape.chunk_size = 200;
  shape.max_parallel_chunks = 2;
  auto large = Plan({}, shape);
  ASSERT_TRUE(large.ok()) << large.status().message();
  EXPECT_EQ(large->workflow_type, "LargeBatchExtraction");
  EXPECT_EQ(large->runs, 501);
  EXPECT_EQ(large->input["chunk_size"], 200);
  EXPECT_EQ(large->input["max_parallel_chunks"], 2);
  EXPECT_TRUE(large->input.contains("runs_file"));
  EXPECT_FALSE(large->input.contains("runs"));
}

TEST_F(TemporalBatchPlanTest, RelativePathsInLinesBecomeAbsolute) {
  std::ofstream(file_) << "{\"script\":\"rel/s.mjs\",\"storage\":{\"path\":\"out\"}}\n";
  auto plan = Plan({});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->input["runs"][0]["script"], (fs::current_path() / "rel/s.mjs").string());
  EXPECT_EQ(plan->input["runs"][0]["storage"]["path"], (fs::current_path() / "out").string());
}

TEST_F(TemporalBatchPlanTest, ErrorsNameTheFileAndLine) {
  std::ofstream(file_) << "{\"job\":{}}\n\n{\"job\":{}, \"run_id\":\"x\"}\n";
  auto plan = Plan({});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(),
            file_ + " line 3: \"run_id\" is derived by the workflow for each attempt");

  std::ofstream(file_) << "{\"job\":{}}\nnot json\n";
  EXPECT_EQ(Plan({}).status().message(), file_ + " line 2: not a JSON object");

  std::ofstream(file_) << "\n  \n";
  EXPECT_EQ(Plan({}).status().message(), "--file " + file_ + " has no runs");

  fs::remove(file_);
  EXPECT_EQ(Plan({}).status().message(), "--file " + file_ + ": cannot read it");

  WriteRuns(1);
  EXPECT_NE(Plan({}, BatchShape{0, 4, 500}).status().message().find("max_parallel"),
            std::string::npos);
}

TEST_F(TemporalBatchPlanTest, DeeplyNestedLinesAndJobFilesAreOneLineErrors) {
  // 30,000 nested arrays overflowed the stack when the input was serialised.
  const std::string deep = std::string(30'000, '[') + std::string(30'000, ']');
  std::ofstream(file_) << "{\"job\":{}}\n{\"job\":{\"a\":" << deep << "}}\n";
  EXPECT_EQ(Plan({}).status().message(),
            file_ + " line 2: nested deeper than 129 levels (at byte 139)");

  // A job of 128 levels (what `quarry run` accepts) is fine in a line; 129 is not.
  std::ofstream(file_) << "{\"job\":{\"a\":" << std::string(127, '[') << std::string(127, ']')
                       << "}}\n";
  EXPECT_TRUE(Plan({}).ok()) << Plan({}).status().message();
  std::ofstream(file_) << "{\"job\":{\"a\":" << std::string(128, '[') << std::string(128, ']')
                       << "}}\n";
  EXPECT_EQ(Plan({}).status().message(),
            file_ + " line 1: nested deeper than 129 levels (at byte 139)");

  const std::string job_file = (dir_ / "job.json").string();
  std::ofstream(job_file) << "{\"a\":" << deep << "}";
  WriteRuns(1);
  auto plan = Plan({"--job-json", job_file});
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("nested deeper than 128 levels"), std::string::npos)
      << plan.status().message();
  EXPECT_EQ(plan.status().message().find('\n'), std::string::npos);
}

}  // namespace
}  // namespace quarry::temporal::cli
