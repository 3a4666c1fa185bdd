#include "quarry/redact.h"

#include <gtest/gtest.h>

namespace quarry {
namespace {

TEST(RedactTest, HidesUserinfoAndQuery) {
  EXPECT_EQ(RedactUrl("ws://user:pw@host:9222/devtools/browser/x?token=s3cret"),
            "ws://***@host:9222/devtools/browser/x?***");
  EXPECT_EQ(RedactUrl("https://hooks.example.com/q?key=abc#frag"),
            "https://hooks.example.com/q?***#frag");
  EXPECT_EQ(RedactUrl("redis://:pass@127.0.0.1:6379/0"), "redis://***@127.0.0.1:6379/0");
  EXPECT_EQ(RedactUrl("ws://127.0.0.1:9222/devtools"), "ws://127.0.0.1:9222/devtools");
}

}  // namespace
}  // namespace quarry
