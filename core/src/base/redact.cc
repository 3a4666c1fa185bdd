#include "quarry/redact.h"

#include <cstdio>

namespace quarry {
namespace {

// A path segment at least this long is treated as a token (ids and secrets are long, route
// names such as "services", "hooks" or "devtools" are short).
constexpr size_t kMaxShownSegment = 16;

}  // namespace

std::string RedactUrl(std::string_view url) {
  std::string out;
  size_t scheme_end = url.find("://");
  size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  out.append(url.substr(0, authority_start));
  std::string_view rest = url.substr(authority_start);
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    out += "***@";
    rest.remove_prefix(at + 1);
  }
  size_t host_end = rest.find_first_of("/?#");
  out.append(rest.substr(0, host_end));
  if (host_end == std::string_view::npos) return out;
  rest.remove_prefix(host_end);

  size_t path_end = rest.find_first_of("?#");
  std::string_view path = rest.substr(0, path_end);
  if (!path.empty()) {
    std::string_view first =
        path.substr(1, path.find('/', 1) == std::string_view::npos ? std::string_view::npos
                                                                   : path.find('/', 1) - 1);
    if (first.size() >= kMaxShownSegment) {
      out += "/***";
    } else {
      out += '/';
      out.append(first);
      if (path.size() > first.size() + 1) out += "/***";
    }
  }
  if (path_end == std::string_view::npos) return out;
  rest.remove_prefix(path_end);
  if (rest.front() == '?') {
    out += "?***";
    size_t frag = rest.find('#');
    if (frag == std::string_view::npos) return out;
    rest.remove_prefix(frag);
  }
  out += "#***";
  return out;
}

std::string PrintableValue(std::string_view value, size_t max_bytes) {
  auto escape = [](std::string_view s, std::string* out) {
    for (unsigned char c : s) {
      if (c == '\n') {
        *out += "\\n";
      } else if (c == '\r') {
        *out += "\\r";
      } else if (c == '\t') {
        *out += "\\t";
      } else if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        *out += buf;
      } else {
        out->push_back(static_cast<char>(c));
      }
    }
  };
  std::string out;
  if (value.size() <= max_bytes) {
    escape(value, &out);
    return out;
  }
  // Head and tail, each cut back to a UTF-8 character boundary.
  size_t head = max_bytes / 2, tail_start = value.size() - max_bytes / 4;
  while (head > 0 && (static_cast<unsigned char>(value[head]) & 0xC0) == 0x80) --head;
  while (tail_start < value.size() &&
         (static_cast<unsigned char>(value[tail_start]) & 0xC0) == 0x80) {
    ++tail_start;
  }
  escape(value.substr(0, head), &out);
  out += "\u2026(" + std::to_string(value.size()) + " bytes)\u2026";
  escape(value.substr(tail_start), &out);
  return out;
}

}  // namespace quarry
