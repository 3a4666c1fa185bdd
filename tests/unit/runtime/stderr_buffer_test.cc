#include "run/stderr_buffer.h"

#include <gtest/gtest.h>

#include <vector>

namespace quarry::run {
namespace {

TEST(StderrBufferTest, KeepsEverythingBelowTheLimit) {
  StderrBuffer b;
  b.Append("hello\n");
  EXPECT_EQ(b.Text(), "hello\n");
}

TEST(StderrBufferTest, KeepsTheLastMiBWithAnOmissionLine) {
  StderrBuffer b;
  std::string block(100'000, 'x');
  for (int i = 0; i < 30; ++i) b.Append(block);
  b.Append("tail\n");
  std::string text = b.Text();
  const uint64_t total = 30 * 100'000 + 5;
  const std::string head = "[quarry: " + std::to_string(total - StderrBuffer::kRetainBytes) +
                           " earlier bytes of executor stderr omitted]\n";
  EXPECT_EQ(text.substr(0, head.size()), head);
  EXPECT_EQ(text.size(), head.size() + StderrBuffer::kRetainBytes);
  EXPECT_EQ(text.substr(text.size() - 5), "tail\n");
}

TEST(StderrBufferTest, SplitsLinesAcrossAppends) {
  StderrBuffer b;
  std::vector<std::string> lines;
  b.on_line = [&](std::string_view l) { lines.emplace_back(l); };
  b.Append("ab");
  b.Append("c\nd");
  b.Append("e\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "abc");
  EXPECT_EQ(lines[1], "de");
}

}  // namespace
}  // namespace quarry::run
