#include "lode/store_error.h"

#include <array>
#include <cctype>
#include <string>

namespace quarry::lode {
namespace {

struct KindRow {
  std::string_view kind;
  std::array<std::string_view, 8> needles;  // empty entries end the list
};

// Order matters: the first matching row wins (§4.15).
constexpr std::array<KindRow, 9> kKinds = {{
    {"access denied", {"accessdenied", "access denied", "forbidden", "403"}},
    {"permission denied", {"permission denied", "eacces"}},
    {"path already exists",
     {"path already exists", "path exists", "already exists", "file exists", "eexist"}},
    {"not found", {"no such file", "does not exist", "not found", "enoent", "404", "nosuchkey"}},
    {"no space left on device", {"no space left", "disk full", "enospc", "quota exceeded"}},
    {"operation timed out", {"timeout", "timed out", "deadline exceeded"}},
    {"rate limited", {"slowdown", "rate exceeded", "throttl", "429", "toomanyrequests"}},
    {"authentication failed",
     {"nocredentialproviders", "credentials", "invalidaccesskeyid", "signaturedoesnotmatch",
      "expiredtoken", "401", "unauthorized"}},
    {"network error",
     {"connection refused", "no route to host", "network unreachable", "dns", "dial tcp",
      "i/o timeout"}},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Status codes such as "404" count only as whole numbers: snapshot ids and other digits inside
// paths would otherwise turn an ordinary error into "access denied".
bool Contains(std::string_view haystack, std::string_view needle) {
  const bool numeric = IsDigit(needle.front());
  for (size_t pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + 1)) {
    if (!numeric) return true;
    const bool left_ok = pos == 0 || !IsDigit(haystack[pos - 1]);
    const size_t end = pos + needle.size();
    const bool right_ok = end == haystack.size() || !IsDigit(haystack[end]);
    if (left_ok && right_ok) return true;
  }
  return false;
}

}  // namespace

std::string_view StorageErrorKind(const Status& cause) {
  // Codes our stores set deliberately are trusted before the text, which may contain paths.
  switch (cause.code()) {
    case StatusCode::kDeadlineExceeded:
      return "operation timed out";
    case StatusCode::kAlreadyExists:
      return "path already exists";
    case StatusCode::kNotFound:
      return "not found";
    default:
      break;
  }
  std::string lower(cause.message());
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const KindRow& row : kKinds) {
    for (std::string_view needle : row.needles) {
      if (needle.empty()) break;
      if (Contains(lower, needle)) return row.kind;
    }
  }
  return "storage error";
}

Status WrapStorageError(std::string_view op, std::string_view path, const Status& cause) {
  const std::string_view kind = StorageErrorKind(cause);
  // Stores name the path and the kind in their own messages; neither is said twice
  // ("write x: path already exists", not "write x: path already exists: x: path already exists").
  std::string_view detail = cause.message();
  if (detail.starts_with(path) && detail.substr(path.size()).starts_with(": ")) {
    detail.remove_prefix(path.size() + 2);
  }
  std::string m;
  m.reserve(op.size() + path.size() + detail.size() + 32);
  m.append(op).append(" ").append(path).append(": ").append(kind);
  if (detail != kind) m.append(": ").append(detail);
  return Status(cause.code(), std::move(m));
}

}  // namespace quarry::lode
