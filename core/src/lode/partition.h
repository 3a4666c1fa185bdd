// Hive partition paths of Quarry records (storage-and-policies.md §4.4).
#pragma once

#include <string>
#include <string_view>

namespace quarry::lode {

struct RunDescriptor;

// Appends the escaped form of `value` (§4.4) to `out`.
void AppendEscapedPartitionValue(std::string_view value, std::string* out);

// "source=<s>/category=<c>/day=<d>/run_id=<r>/event_type=<t>", values escaped.
std::string PartitionPath(std::string_view source, std::string_view category, std::string_view day,
                          std::string_view run_id, std::string_view event_type);

// The readable form used in error messages (§4.15): "<ds>/<src>/<cat>/<day>/<run>/<type>".
std::string ReadablePartition(std::string_view dataset, std::string_view source,
                              std::string_view category, std::string_view day,
                              std::string_view run_id, std::string_view event_type);

}  // namespace quarry::lode
