#include "run/stderr_buffer.h"

namespace quarry::run {

void StderrBuffer::Append(std::string_view bytes) {
  total_ += bytes.size();
  data_.append(bytes);
  if (data_.size() > 2 * kRetainBytes) {
    size_t drop = data_.size() - kRetainBytes;
    data_.erase(0, drop);
    discarded_ += drop;
  }
  if (!on_line) return;
  size_t start = 0;
  while (true) {
    size_t nl = bytes.find('\n', start);
    if (nl == std::string_view::npos) break;
    partial_line_.append(bytes.substr(start, nl - start));
    on_line(partial_line_);
    partial_line_.clear();
    start = nl + 1;
  }
  // Bound an unterminated line so a binary blob cannot grow memory.
  partial_line_.append(bytes.substr(start, std::min(bytes.size() - start, size_t{65536})));
}

std::string StderrBuffer::Text() const {
  uint64_t discarded = discarded_;
  std::string_view kept = data_;
  if (kept.size() > kRetainBytes) {
    discarded += kept.size() - kRetainBytes;
    kept.remove_prefix(kept.size() - kRetainBytes);
  }
  if (discarded == 0) return std::string(kept);
  return "[quarry: " + std::to_string(discarded) + " earlier bytes of executor stderr omitted]\n" +
         std::string(kept);
}

}  // namespace quarry::run
