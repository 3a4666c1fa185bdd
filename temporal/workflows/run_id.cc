#include "workflows/run_id.h"

#include <openssl/evp.h>

#include <charconv>
#include <cstdlib>

namespace quarry::temporal {

const Uuid kQuarryRunIdNamespace = {0x0b, 0xa0, 0x86, 0x00, 0xc1, 0x06, 0x45, 0x7b,
                                    0xb9, 0xd3, 0x25, 0x88, 0xc4, 0xd9, 0x28, 0xf4};

std::string NameBasedUuid(const Uuid& name_space, std::string_view name) {
  std::string input(reinterpret_cast<const char*>(name_space.data()), name_space.size());
  input.append(name);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // SHA-1 of a few dozen bytes cannot fail short of an OpenSSL without SHA-1; abort() then rather
  // than derive a run id from garbage.
  if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha1(), nullptr) != 1 ||
      size < 16) {
    std::abort();
  }
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);  // version 5
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

std::string AttemptRunId(std::string_view workflow_run_id, int64_t attempt) {
  std::string name(workflow_run_id);
  name += '/';
  name += std::to_string(attempt);
  return NameBasedUuid(kQuarryRunIdNamespace, name);
}

std::optional<int64_t> IndexInId(std::string_view prefix, std::string_view id) {
  if (id.substr(0, prefix.size()) != prefix) return std::nullopt;
  const char* begin = id.data() + prefix.size();
  const char* end = id.data() + id.size();
  int64_t i = 0;
  auto [p, ec] = std::from_chars(begin, end, i);
  if (ec != std::errc() || p == begin || p == end || *p != '/') return std::nullopt;
  return i;
}

}  // namespace quarry::temporal
