#include "read/partition_path.h"

namespace quarry::read {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string UnescapePartitionValue(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

PartitionValues ParsePartitionPath(std::string_view path) {
  PartitionValues v;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    const size_t eq = seg.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = seg.substr(0, eq);
    const std::string value = UnescapePartitionValue(seg.substr(eq + 1));
    if (key == "source") {
      v.source = value;
    } else if (key == "category") {
      v.category = value;
    } else if (key == "day") {
      v.day = value;
    } else if (key == "run_id") {
      v.run_id = value;
      v.has_run_id = true;
    } else if (key == "event_type") {
      v.event_type = value;
    }
  }
  return v;
}

}  // namespace quarry::read
