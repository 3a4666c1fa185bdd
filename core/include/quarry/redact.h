// Credential redaction for anything printed (Decision D11.25, storage-and-policies.md §8.8).
#pragma once

#include <string>
#include <string_view>

namespace quarry {

// Replaces a URL's userinfo and query string with "***":
// "ws://user:pw@host:9222/devtools?token=x" -> "ws://***@host:9222/devtools?***".
std::string RedactUrl(std::string_view url);

}  // namespace quarry
