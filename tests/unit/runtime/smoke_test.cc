#include <gtest/gtest.h>

#include "quarry/version.h"

TEST(LayerSmokeTest, LinksAgainstCore) { EXPECT_FALSE(quarry::ProductVersion().empty()); }
