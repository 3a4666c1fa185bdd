// Random suffixes for temporary object names and backoff jitter.
#pragma once

#include <cstdint>
#include <string>

namespace quarry::lode {

// 16 lowercase hex digits from a per-thread generator seeded from the OS.
std::string RandomHexSuffix();
// Uniform in [0, bound); 0 when bound is 0.
uint64_t RandomBelow(uint64_t bound);

}  // namespace quarry::lode
