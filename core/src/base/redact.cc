#include "quarry/redact.h"

namespace quarry {

std::string RedactUrl(std::string_view url) {
  std::string out;
  size_t scheme_end = url.find("://");
  size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  size_t path_start = url.find_first_of("/?#", authority_start);
  std::string_view authority = url.substr(authority_start, path_start == std::string_view::npos
                                                               ? std::string_view::npos
                                                               : path_start - authority_start);
  out.append(url.substr(0, authority_start));
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    out += "***@";
    out.append(authority.substr(at + 1));
  } else {
    out.append(authority);
  }
  if (path_start == std::string_view::npos) return out;
  std::string_view rest = url.substr(path_start);
  size_t q = rest.find('?');
  if (q == std::string_view::npos) {
    out.append(rest);
    return out;
  }
  out.append(rest.substr(0, q));
  out += "?***";
  size_t frag = rest.find('#', q);
  if (frag != std::string_view::npos) out.append(rest.substr(frag));
  return out;
}

}  // namespace quarry
