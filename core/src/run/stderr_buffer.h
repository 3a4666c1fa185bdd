// Keeps the last 1 MiB of executor stderr (executor-contract.md §3, Decision D8) while it is
// drained concurrently with stdout, and splits it into lines for observers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace quarry::run {

class StderrBuffer {
 public:
  static constexpr size_t kRetainBytes = 1'048'576;

  void Append(std::string_view bytes);
  // The retained text, starting with "[quarry: <N> earlier bytes of executor stderr omitted]"
  // when bytes were discarded.
  std::string Text() const;
  uint64_t total_bytes() const { return total_; }

  std::function<void(std::string_view)> on_line;

 private:
  std::string data_;  // at most 2 x kRetainBytes before compaction
  std::string partial_line_;
  uint64_t total_ = 0;
  uint64_t discarded_ = 0;
};

}  // namespace quarry::run
