// Credential redaction for anything printed (Decision D11.25, storage-and-policies.md §8.8), and
// the one way to put a user-supplied value into a human-readable line.
#pragma once

#include <string>
#include <string_view>

namespace quarry {

// The printable form of a URL: scheme, host and port are kept; the userinfo, the query and the
// fragment become "***"; of the path only a short first segment is kept, the rest becomes "/***"
// (webhook URLs of Slack, Discord and the like carry their secret in the path):
//   "ws://user:pw@host:9222/devtools/browser/x?token=s" -> "ws://***@host:9222/devtools/***?***"
//   "https://hooks.slack.com/services/T0/B0/XXXX"      -> "https://hooks.slack.com/services/***"
//   "redis://:pa/ss#w@host:6379/0"                     -> "redis://***@host:6379/0"
// The userinfo ends at the last '@' of the URL, so passwords containing '/', '?', '#' or '@'
// never show (a URL with an '@' elsewhere, e.g. in its path, loses more than it must: safe).
std::string RedactUrl(std::string_view url);

// A value quoted into a message: control characters (a newline in a run id) are escaped as \n,
// \t or \xNN so the line stays one line, and a value longer than `max_bytes` is shortened to its
// head and tail around "…(N bytes)…". Not for credentials: those are never printed at all.
std::string PrintableValue(std::string_view value, size_t max_bytes = 80);

}  // namespace quarry
