#include "workflows/run_id.h"

#include <uuid.h>

#include <charconv>
#include <cstdlib>

namespace quarry::temporal {

const Uuid kQuarryRunIdNamespace = {0x0b, 0xa0, 0x86, 0x00, 0xc1, 0x06, 0x45, 0x7b,
                                    0xb9, 0xd3, 0x25, 0x88, 0xc4, 0xd9, 0x28, 0xf4};

std::string NameBasedUuid(const Uuid& name_space, std::string_view name) {
  // libuuid's version 5 (SHA-1 of the namespace bytes then the name, version and RFC 4122
  // variant bits set).
  uuid_t out;
  uuid_generate_sha1(out, name_space.data(), name.data(), name.size());
  char text[37];
  uuid_unparse_lower(out, text);
  return std::string(text, 36);
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
