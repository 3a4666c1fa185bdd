// The bounded JSON parser every door uses (quarry/json/parse.h) and the non-throwing getters.
#include "quarry/json/parse.h"

#include <gtest/gtest.h>

#include <string>

namespace quarry::json {
namespace {

std::string Nested(int levels) {
  return std::string(static_cast<size_t>(levels), '[') +
         std::string(static_cast<size_t>(levels), ']');
}

TEST(JsonParseTest, DepthIsBoundedBeforeParsing) {
  EXPECT_TRUE(ParseJson(Nested(128), "x").ok());
  auto deep = ParseJson(Nested(30'000), "--job");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(), "--job is nested deeper than 128 levels (at byte 128)");
  EXPECT_EQ(ParseJson("{nope", "--job").status().message(), "--job is not valid JSON");
}

TEST(JsonParseTest, BracketsInsideStringsDoNotCount) {
  const std::string text = R"({"a":"[[[[{{{{\"]]]"})";
  EXPECT_EQ(FindTooDeep(text, 1), std::string::npos);
  EXPECT_EQ(FindTooDeep("[[x]]", 1), 1u);
}

TEST(JsonParseTest, GettersNeverThrowOnTheWrongType) {
  auto j = nlohmann::json::parse(R"({"s":"v","n":5,"big":18446744073709551615,"x":[1]})");
  EXPECT_EQ(StringOr(j, "s", "d"), "v");
  EXPECT_EQ(StringOr(j, "n", "d"), "d");
  EXPECT_EQ(StringOr(j, "missing", "d"), "d");
  EXPECT_EQ(IntOr(j, "n", -1), 5);
  EXPECT_EQ(IntOr(j, "s", -1), -1);
  EXPECT_EQ(IntOr(j, "big", -1), -1);
  EXPECT_EQ(IntOr(nlohmann::json::array(), "n", -1), -1);
  EXPECT_EQ(StringOr(nlohmann::json(), "s", "d"), "d");
}

}  // namespace
}  // namespace quarry::json
