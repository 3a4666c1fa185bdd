// The partition values of a data file path (storage-and-policies.md §4.3, §4.4), unescaped.
#pragma once

#include <string>
#include <string_view>

namespace quarry::read {

struct PartitionValues {
  std::string source, category, day, run_id, event_type;
  bool has_run_id = false;
};

// Reads the `key=value` segments of `path`; unknown segments are skipped.
PartitionValues ParsePartitionPath(std::string_view path);
// %XX -> byte; a malformed escape is kept as it is.
std::string UnescapePartitionValue(std::string_view text);

}  // namespace quarry::read
