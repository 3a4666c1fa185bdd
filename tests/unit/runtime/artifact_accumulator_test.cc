#include "run/artifact_accumulator.h"

#include <gtest/gtest.h>

namespace quarry::run {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

TEST(ArtifactAccumulatorTest, ChunksThenCommitReconcile) {
  ArtifactAccumulator acc;
  EXPECT_EQ(*acc.AddChunk("a", 1, false, 4), 0u);
  EXPECT_EQ(*acc.AddChunk("a", 2, true, 2), 4u);
  EXPECT_TRUE(acc.Commit("a", 6).ok());
  ArtifactStats s = acc.Stats();
  EXPECT_EQ(s.total, 1u);
  EXPECT_EQ(s.committed, 1u);
  EXPECT_EQ(s.chunks, 2u);
  EXPECT_EQ(s.bytes, 6u);
  EXPECT_EQ(s.orphaned, 0u);
}

// Found by fuzz/ingest_policy_fuzz: "a\xff" and "a\xfe" were both stored as "a\ufffd".
TEST(ArtifactAccumulatorTest, IdsThatAreNotUtf8AreRefused) {
  ArtifactAccumulator acc;
  auto chunk = acc.AddChunk("a\xff", 1, true, 1);
  ASSERT_FALSE(chunk.ok());
  EXPECT_EQ(chunk.status().message(), "artifact_id is not valid UTF-8");
  EXPECT_EQ(acc.Commit("a\xfe", 1).message(), "artifact_id is not valid UTF-8");
  EXPECT_TRUE(acc.AddChunk("caf\xc3\xa9", 1, true, 1).ok());
}

TEST(ArtifactAccumulatorTest, CommitBeforeChunksChecksSizeAtIsLast) {
  ArtifactAccumulator acc;
  EXPECT_TRUE(acc.Commit("a", 5).ok());
  EXPECT_TRUE(acc.AddChunk("a", 1, false, 3).ok());
  auto last = acc.AddChunk("a", 2, true, 3);
  ASSERT_FALSE(last.ok());
  EXPECT_NE(last.status().message().find("size mismatch"), std::string::npos);
}

TEST(ArtifactAccumulatorTest, RejectsOrderAndLimitViolations) {
  ArtifactAccumulator acc;
  EXPECT_FALSE(acc.AddChunk("a", 2, false, 1).ok());  // seq 2 first
  EXPECT_FALSE(acc.AddChunk("b", 0, false, 1).ok());  // seq < 1
  ASSERT_TRUE(acc.AddChunk("c", 1, true, 1).ok());
  EXPECT_FALSE(acc.AddChunk("c", 2, true, 1).ok());  // after is_last
  EXPECT_FALSE(acc.AddChunk("d", 1, false, 8 * kMiB + 1).ok());
  EXPECT_TRUE(acc.AddChunk("e", 1, false, 8 * kMiB).ok());
  EXPECT_FALSE(acc.Commit("f", 1024 * kMiB + 1).ok());
  EXPECT_FALSE(acc.Commit("g", std::nullopt).ok());
  EXPECT_FALSE(acc.Commit("", 1).ok());
  ArtifactAccumulator sizes;
  ASSERT_TRUE(sizes.AddChunk("x", 1, true, 3).ok());
  EXPECT_FALSE(sizes.Commit("x", 4).ok());
}

TEST(ArtifactAccumulatorTest, OneGiBCapIsCumulative) {
  ArtifactAccumulator acc;
  int64_t seq = 1;
  for (uint64_t total = 0; total < 1024 * kMiB; total += 8 * kMiB) {
    ASSERT_TRUE(acc.AddChunk("big", seq++, false, 8 * kMiB).ok());
  }
  EXPECT_FALSE(acc.AddChunk("big", seq, true, 1).ok());
}

TEST(ArtifactAccumulatorTest, CountsOrphansButNotErroredArtifacts) {
  ArtifactAccumulator acc;
  ASSERT_TRUE(acc.AddChunk("orphan", 1, true, 10).ok());
  ASSERT_TRUE(acc.AddChunk("bad", 1, false, 1).ok());
  EXPECT_FALSE(acc.AddChunk("bad", 3, false, 1).ok());
  ArtifactStats s = acc.Stats();
  EXPECT_EQ(s.orphaned, 1u);
  ASSERT_EQ(s.orphan_ids.size(), 1u);
  EXPECT_EQ(s.orphan_ids[0], "orphan");
}

}  // namespace
}  // namespace quarry::run
