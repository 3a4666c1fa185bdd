// Storage error texts (storage-and-policies.md §4.15): "<op> <path>: <kind>: <cause>".
#pragma once

#include <string_view>

#include "quarry/status.h"

namespace quarry::lode {

// The kind text for a failed store call: timeout, already-exists and not-found codes first, then
// the first row of the §4.15 table whose words occur in the message (case-insensitive).
std::string_view StorageErrorKind(const Status& cause);

// "<op> <path>: <kind>: <cause message>", keeping the cause's code.
Status WrapStorageError(std::string_view op, std::string_view path, const Status& cause);

}  // namespace quarry::lode
