// The §6 renderers against golden files (tests/fixtures/read/golden/; QUARRY_UPDATE_GOLDEN=1
// rewrites them, to be reviewed by hand), plus the rules a golden file cannot show alone.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "output/render.h"

namespace quarry::cli::output {
namespace {

using nlohmann::ordered_json;

const std::string kGolden = std::string(QUARRY_SOURCE_DIR) + "/tests/fixtures/read/golden/";

void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = kGolden + name;
  if (const char* u = std::getenv("QUARRY_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(actual, want.str()) << name;
}

// An `inspect run` response of a fan-out child with a sidecar file.
ordered_json InspectRun() {
  ordered_json o;
  o["run_id"] = "child-1";
  o["job_id"] = "job-42";
  o["state"] = "failed";
  o["attempt"] = 1;
  o["parent_run"] = nullptr;
  o["policy"] = "strict";
  o["started_at"] = "2026-03-22T09:15:00.012Z";
  o["ended_at"] = "2026-03-22T09:15:01Z";
  o["sidecar_files"] =
      ordered_json::array({{{"filename", "page.html"},
                            {"content_type", "text/html"},
                            {"size", 120},
                            {"path", "datasets/quarry/partitions/x/files/page.html"}}});
  o["outcome"] = "script_error";
  o["message"] = "Error: boom";
  o["enqueued_by_run_id"] = "root";
  o["enqueued_by_event_id"] = "5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c01";
  o["fanout_depth"] = 1;
  o["flags"] = ordered_json::object();
  o["children"] = ordered_json::array();
  return o;
}

ordered_json ListRuns() {
  return ordered_json::array(
      {{{"run_id", "r-3"}, {"state", "running"}, {"started_at", "2026-03-22T09:17:00.000Z"}},
       {{"run_id", "run-two"}, {"state", "succeeded"}, {"started_at", "2026-03-22T09:16:00.000Z"}},
       {{"run_id", "1"}, {"state", "failed"}, {"started_at", "2026-03-22T09:15:00.000Z"}}});
}

TEST(RenderGoldenTest, InspectRun) {
  ExpectGolden("inspect_run.json", RenderJson(InspectRun()));
  ExpectGolden("inspect_run.yaml", RenderYaml(InspectRun()));
  ExpectGolden("inspect_run.table", RenderTable(InspectRun(), false));
  ExpectGolden("inspect_run.color.table", RenderTable(InspectRun(), true));
}

TEST(RenderGoldenTest, ListRuns) {
  ExpectGolden("list_runs.json", RenderJson(ListRuns()));
  ExpectGolden("list_runs.yaml", RenderYaml(ListRuns()));
  ExpectGolden("list_runs.table", RenderTable(ListRuns(), false));
  ExpectGolden("list_runs.color.table", RenderTable(ListRuns(), true));
}

TEST(RenderTest, TableRules) {
  EXPECT_EQ(RenderTable(ordered_json::array(), false), "(no results)\n");
  ordered_json row = ordered_json::array(
      {{{"a", nullptr}, {"b", ordered_json::array({1, 2})}, {"c", {{"x", 1}, {"y", 2}}}}});
  EXPECT_EQ(RenderTable(row, false), "a  b          c\n   [2 items]  {2 keys}\n");
  ordered_json single{{"key", {{"x", 1}}}, {"longer_key", ordered_json::array()}};
  EXPECT_EQ(RenderTable(single, false), "key         {...}\nlonger_key  []\n");
  // Colour codes do not shift the columns.
  ordered_json states = ordered_json::array({{{"state", "running"}, {"n", 1}}});
  EXPECT_EQ(RenderTable(states, true), "state    n\n\033[33mrunning\033[0m  1\n");
}

TEST(RenderTest, YamlReadsBackAsTheSameStrings) {
  ordered_json v{{"null_word", "null"},
                 {"number", "123"},
                 {"float", "1.5e3"},
                 {"bool", "yes"},
                 {"time", "2026-03-22T09:15:00Z"},
                 {"plain", "run-001"},
                 {"real_null", nullptr},
                 {"n", 7}};
  YAML::Node n = YAML::Load(RenderYaml(v));
  for (const char* k : {"null_word", "number", "float", "bool", "time"}) {
    EXPECT_EQ(n[k].Tag(), "!") << k << " must be quoted";
    EXPECT_EQ(n[k].as<std::string>(), v[k].get<std::string>()) << k;
  }
  EXPECT_EQ(n["plain"].Tag(), "?");  // no quotes where none are needed
  EXPECT_EQ(n["plain"].as<std::string>(), "run-001");
  EXPECT_TRUE(n["real_null"].IsNull());
  EXPECT_EQ(n["n"].as<int>(), 7);
  EXPECT_EQ(n["n"].Tag(), "?");
}

TEST(RenderTest, FormatSelection) {
  EXPECT_EQ(*ResolveFormat("", true), Format::kTable);
  EXPECT_EQ(*ResolveFormat("", false), Format::kJson);
  EXPECT_EQ(*ResolveFormat("YAML", false), Format::kYaml);
  EXPECT_EQ(ResolveFormat("xml", true).status().message(),
            "invalid format: \"xml\" (must be json, table, or yaml)");
  OutputFlags f;
  f.format = "bogus";
  f.tui = true;
  // The format is checked before --tui (§5.1).
  EXPECT_EQ(ChooseOutput(f, Family::kList).status().message(),
            "invalid format: \"bogus\" (must be json, table, or yaml)");
  f.format = "json";
  EXPECT_EQ(ChooseOutput(f, Family::kList).status().message(),
            "--tui is not supported for list commands");
  EXPECT_EQ(ChooseOutput(f, Family::kDebug).status().message(),
            "--tui is not supported for debug commands");
  EXPECT_EQ(ChooseOutput(f, Family::kVersion).status().message(),
            "--tui is not supported for version command");
  EXPECT_TRUE(ChooseOutput(f, Family::kInspect)->tui);
}

TEST(RenderTest, NoColorWithoutATerminalOrWithNoColor) {
  EXPECT_FALSE(ColorEnabled(false, false));
  EXPECT_FALSE(ColorEnabled(true, true));
  ::setenv("NO_COLOR", "", 1);
  EXPECT_FALSE(ColorEnabled(false, true));
  ::unsetenv("NO_COLOR");
  EXPECT_TRUE(ColorEnabled(false, true));
}

}  // namespace
}  // namespace quarry::cli::output
