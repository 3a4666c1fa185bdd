// SHA-256 as lowercase hex: fan-out dedup keys, outbox target keys, S3 payload hashes.
#pragma once

#include <string>
#include <string_view>

namespace quarry {

// 64 lowercase hex digits of SHA-256(data).
std::string Sha256Hex(std::string_view data);

}  // namespace quarry
