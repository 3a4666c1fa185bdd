#include "lode/random_name.h"

#include <random>

namespace quarry::lode {
namespace {

std::mt19937_64& Generator() {
  // Per thread so concurrent writers never share (or lock) generator state.
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return gen;
}

}  // namespace

std::string RandomHexSuffix() {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = Generator()();
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) {
    s[static_cast<size_t>(i)] = kHex[v & 0xf];
    v >>= 4;
  }
  return s;
}

uint64_t RandomBelow(uint64_t bound) {
  if (bound == 0) return 0;
  return std::uniform_int_distribution<uint64_t>(0, bound - 1)(Generator());
}

}  // namespace quarry::lode
