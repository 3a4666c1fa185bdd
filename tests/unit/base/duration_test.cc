#include "quarry/duration.h"

#include <gtest/gtest.h>

namespace quarry {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(DurationTest, ParsesTheCliGrammar) {
  EXPECT_EQ(*ParseDuration("0"), Duration(0));
  EXPECT_EQ(*ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("5s"), seconds(5));
  EXPECT_EQ(*ParseDuration("1m30s"), seconds(90));
  EXPECT_EQ(*ParseDuration("1.5h"), minutes(90));
  EXPECT_EQ(*ParseDuration("1h30m"), minutes(90));
  EXPECT_EQ(*ParseDuration("-1s"), seconds(-1));
  EXPECT_EQ(*ParseDuration("2us"), Duration(2000));
  EXPECT_EQ(*ParseDuration("2\xC2\xB5s"), Duration(2000));
  EXPECT_EQ(*ParseDuration("7ns"), Duration(7));
}

TEST(DurationTest, RejectsNumbersWithoutUnitsAndJunk) {
  for (const char* bad : {"10", "", "s", "5x", "1.s5", "--1s", "5 s"}) {
    auto d = ParseDuration(bad);
    EXPECT_FALSE(d.ok()) << bad;
  }
  EXPECT_EQ(ParseDuration("10").status().message(),
            "invalid duration \"10\": missing unit (use ns, us, ms, s, m or h)");
}

TEST(DurationTest, FormatsLikeTheFlagSyntax) {
  EXPECT_EQ(FormatDuration(Duration(0)), "0s");
  EXPECT_EQ(FormatDuration(seconds(2)), "2s");
  EXPECT_EQ(FormatDuration(minutes(5)), "5m0s");
  EXPECT_EQ(FormatDuration(minutes(90)), "1h30m0s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatDuration(hours(24)), "24h0m0s");
  EXPECT_EQ(FormatDuration(seconds(-1)), "-1s");
  EXPECT_EQ(FormatDuration(Duration(1500)), "1.5\xC2\xB5s");
}

TEST(DurationTest, RoundTrips) {
  for (const char* s : {"1h30m0s", "5m0s", "500ms", "2s", "1m0.5s"}) {
    EXPECT_EQ(FormatDuration(*ParseDuration(s)), s);
  }
}

}  // namespace
}  // namespace quarry
