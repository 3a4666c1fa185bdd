// `quarry-temporal crawl`: the workflow input it builds from the run flags and the fan-out limits
// (checked like the workflow checks it), and the one-line errors naming the flag.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/crawl_command.h"
#include "workflows/crawl_params.h"

namespace quarry::temporal::cli {
namespace {

using nlohmann::json;

StatusOr<json> Build(const std::vector<std::string>& args, const CrawlShape& shape) {
  CLI::App app;
  RunFlags flags;
  AddRunFlags(&app, &flags);
  std::vector<std::string> all = {"test", "--script", "list.mjs", "--source", "shop"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const auto& a : all) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return BuildCrawlInput(flags, shape);
}

TEST(TemporalCrawlCommandTest, TheStartInputPlusTheLimitsAndTheClientsDirectory) {
  auto in = Build({"--max-attempts", "2", "--job", "{\"page\":1}"}, {2, 100, 4, 0});
  ASSERT_TRUE(in.ok()) << in.status().message();
  const std::string cwd = std::filesystem::current_path().lexically_normal().string();
  EXPECT_EQ((*in)["script"], cwd + "/list.mjs");
  EXPECT_EQ((*in)["target_dir"], cwd);
  EXPECT_EQ((*in)["depth"], 2);
  EXPECT_EQ((*in)["max_runs"], 100);
  EXPECT_EQ((*in)["parallel"], 4);
  EXPECT_EQ((*in)["job"]["page"], 1);
  EXPECT_EQ((*in)["retry"]["max_attempts"], 2);
  EXPECT_FALSE(in->contains("continue_as_new_after"));
  EXPECT_TRUE(ParseCrawlParams(*in).ok());
  auto knob = Build({}, {1, 1, 1, 100});
  ASSERT_TRUE(knob.ok());
  EXPECT_EQ((*knob)["continue_as_new_after"], 100);
}

TEST(TemporalCrawlCommandTest, BadLimitsNameTheFlag) {
  EXPECT_EQ(Build({}, {0, 5, 1, 0}).status().message(), "--depth must be 1 or more");
  EXPECT_EQ(Build({}, {1, 0, 1, 0}).status().message(), "--max-runs must be 1 or more");
  EXPECT_EQ(Build({}, {1, 5, 51, 0}).status().message(), "--parallel must be in 1..50");
  EXPECT_EQ(Build({}, {1001, 5, 1, 0}).status().message(), "--depth must be in 1..1000");
  EXPECT_EQ(Build({}, {1, 5, 1, 3}).status().message(),
            "--continue-as-new-after must be in 20..40000");
}

}  // namespace
}  // namespace quarry::temporal::cli
