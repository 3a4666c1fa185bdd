#include <gtest/gtest.h>

#include "quarry/run/run_config.h"

namespace quarry::run {
namespace {

TEST(RunMetaTest, LineageRules) {
  EXPECT_TRUE(ValidateRunMeta({"r1", 1, std::nullopt, std::nullopt}).ok());
  EXPECT_TRUE(ValidateRunMeta({"r2", 2, "job", "r1"}).ok());
  EXPECT_FALSE(ValidateRunMeta({"", 1, std::nullopt, std::nullopt}).ok());
  EXPECT_FALSE(ValidateRunMeta({"r", 0, std::nullopt, std::nullopt}).ok());
  EXPECT_FALSE(ValidateRunMeta({"r", 1, std::nullopt, "p"}).ok());
  EXPECT_FALSE(ValidateRunMeta({"r", 2, std::nullopt, std::nullopt}).ok());
  EXPECT_FALSE(ValidateRunMeta({"r", 2, std::nullopt, ""}).ok());
}

}  // namespace
}  // namespace quarry::run
