#include "config_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace quarry::cli {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("quarry-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& text) {
    std::string path = (dir_ / "quarry.yaml").string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, EnvironmentExpansionRules) {
  ::setenv("QCFG_SET", "value", 1);
  ::setenv("QCFG_EMPTY", "", 1);
  ::unsetenv("QCFG_UNSET");
  EXPECT_EQ(ExpandEnvironment("${QCFG_SET}"), "value");
  EXPECT_EQ(ExpandEnvironment("${QCFG_UNSET}"), "");
  EXPECT_EQ(ExpandEnvironment("${QCFG_UNSET:-dflt}"), "dflt");
  EXPECT_EQ(ExpandEnvironment("${QCFG_EMPTY:-dflt}"), "dflt");  // set-but-empty counts as unset
  EXPECT_EQ(ExpandEnvironment("${QCFG_SET:-dflt}"), "value");
  // Left untouched: no braces, no colon, invalid names, unterminated.
  EXPECT_EQ(ExpandEnvironment("$QCFG_SET"), "$QCFG_SET");
  EXPECT_EQ(ExpandEnvironment("${QCFG_SET-x}"), "${QCFG_SET-x}");
  EXPECT_EQ(ExpandEnvironment("${1ABC}"), "${1ABC}");
  EXPECT_EQ(ExpandEnvironment("${QCFG_SET"), "${QCFG_SET");
  // The default runs to the first '}'.
  EXPECT_EQ(ExpandEnvironment("${QCFG_UNSET:-a}b}"), "ab}");
}

TEST_F(ConfigFileTest, EmptyAndCommentOnlyFilesAreValid) {
  for (const char* text : {"", "   \n", "# just a comment\n"}) {
    auto c = LoadConfigFile(Write(text));
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_TRUE(c->source.empty());
  }
}

TEST_F(ConfigFileTest, ReadsKeysAndExpandsBeforeParsing) {
  ::setenv("QCFG_PATH", "/data/q", 1);
  auto c =
      LoadConfigFile(Write("source: shop\ncategory: products\ntimeout: 30m\n"
                           "storage:\n  backend: fs\n  path: ${QCFG_PATH}\n  dataset: ds\n"
                           "policy:\n  name: streaming\n  flush_count: 500\n  flush_interval: 10s\n"
                           "adapter:\n  type: webhook\n  url: http://h\n  retries: 0\n"
                           "events:\n  sinks:\n    - type: lode\n    - type: redis\n      url: "
                           "redis://x\n      ttl: -1\n"
                           "proxies:\n  zeta:\n    strategy: random\n    endpoints: [{protocol: "
                           "http, host: a, port: 1}]\n"
                           "  alpha:\n    strategy: round_robin\n    endpoints: []\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->source, "shop");
  EXPECT_EQ(c->timeout, std::chrono::minutes(30));
  EXPECT_EQ(c->storage.path, "/data/q");
  EXPECT_EQ(c->policy.flush_count, 500);
  EXPECT_EQ(c->policy.flush_interval, std::chrono::seconds(10));
  ASSERT_TRUE(c->adapter.retries);
  EXPECT_EQ(*c->adapter.retries, 0);  // nullable: an explicit 0 is kept
  ASSERT_EQ(c->sinks.size(), 2u);
  EXPECT_EQ(c->sinks[1].ttl, Duration(-1));
  ASSERT_EQ(c->proxies.size(), 2u);
  EXPECT_EQ(c->proxies[0].name, "alpha");  // sorted by name
}

TEST_F(ConfigFileTest, UnknownKeysAreRejectedAtEveryLevel) {
  auto top = LoadConfigFile(Write("sourze: x\n"));
  ASSERT_FALSE(top.ok());
  EXPECT_NE(top.status().message().find("unknown key \"sourze\""), std::string::npos);
  auto nested = LoadConfigFile(Write("storage:\n  bakend: fs\n"));
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("(at storage)"), std::string::npos);
  auto sink = LoadConfigFile(Write("events:\n  sinks:\n    - type: lode\n      colour: red\n"));
  EXPECT_FALSE(sink.ok());
}

TEST_F(ConfigFileTest, ErrorsNameTheProblem) {
  auto missing = LoadConfigFile((dir_ / "nope.yaml").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "config file not found: " + (dir_ / "nope.yaml").string());
  auto yaml = LoadConfigFile(Write("source: [unclosed\n"));
  ASSERT_FALSE(yaml.ok());
  EXPECT_EQ(yaml.status().message().rfind("invalid YAML in ", 0), 0u);
  auto dur = LoadConfigFile(Write("timeout: 10\n"));
  ASSERT_FALSE(dur.ok());
  EXPECT_NE(dur.status().message().find("invalid duration \"10\""), std::string::npos);
}

TEST_F(ConfigFileTest, BrowserReuseKeys) {
  auto c = LoadConfigFile(Write("no_browser_reuse: true\nbrowser_idle_timeout: 2m\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->no_browser_reuse);
  EXPECT_EQ(c->browser_idle_timeout_s, 120);
  auto seconds = LoadConfigFile(Write("browser_idle_timeout: 45\n"));
  ASSERT_TRUE(seconds.ok()) << seconds.status().message();
  EXPECT_EQ(seconds->browser_idle_timeout_s, 45);
  auto unset = LoadConfigFile(Write("source: s\n"));
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(unset->no_browser_reuse);
  EXPECT_EQ(unset->browser_idle_timeout_s, 0);
  auto zero = LoadConfigFile(Write("browser_idle_timeout: 0s\n"));
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().message(), "browser_idle_timeout: idle timeout must be at least 1s");
}

}  // namespace
}  // namespace quarry::cli
