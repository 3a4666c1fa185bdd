#include "usage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace quarry::cli {
namespace {

const std::vector<std::string> kRunFlags = {"--script",         "--run-id", "--source",
                                            "--category",       "--policy", "--storage-path",
                                            "--storage-backend"};

TEST(EditDistance, CountsEditsAndSwaps) {
  EXPECT_EQ(EditDistance("--source", "--source"), 0u);
  EXPECT_EQ(EditDistance("--sorce", "--source"), 1u);
  EXPECT_EQ(EditDistance("--soruce", "--source"), 1u);  // neighbours swapped
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(ClosestName, SuggestsOnlyNearMisses) {
  EXPECT_EQ(ClosestName("--sorce", kRunFlags), "--source");
  EXPECT_EQ(ClosestName("--polcy", kRunFlags), "--policy");
  EXPECT_EQ(ClosestName("--storage-pth", kRunFlags), "--storage-path");
  EXPECT_EQ(ClosestName("--verbose", kRunFlags), "");
  EXPECT_EQ(ClosestName("--x", kRunFlags), "");
}

TEST(UnknownArgumentsMessage, NamesEveryUnknownInOrderWithSuggestions) {
  EXPECT_EQ(UnknownArgumentsMessage({"--sorce", "shop", "--verbose", "--polcy=strict"}, kRunFlags),
            "unknown flag --sorce (did you mean --source?); unknown flag --verbose; unknown flag "
            "--polcy (did you mean --policy?)");
}

TEST(UnknownArgumentsMessage, APositionalScriptSuggestsTheFlag) {
  EXPECT_EQ(UnknownArgumentsMessage({"examples/demo/script.mjs"}, kRunFlags),
            "unexpected argument \"examples/demo/script.mjs\" (did you mean --script "
            "examples/demo/script.mjs?)");
  EXPECT_EQ(UnknownArgumentsMessage({"extra"}, kRunFlags), "unexpected argument \"extra\"");
}

TEST(MissingFlagsMessage, OneOrSeveral) {
  EXPECT_EQ(MissingFlagsMessage({"--script"}), "--script is required");
  EXPECT_EQ(MissingFlagsMessage({"--script", "--run-id", "--source"}),
            "missing required flags: --script, --run-id, --source");
}

}  // namespace
}  // namespace quarry::cli
