// The pure parts of browser reuse: where the discovery files live, browser.json, the health URL,
// the idle-timeout setting.
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "quarry/browser/reuse.h"
#include "quarry/duration.h"
#include "quarry/json/parse.h"

namespace quarry::browser {
namespace {

std::string WithoutTrailingSlashes(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  return std::string(p);
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string d = WithoutTrailingSlashes(dir);
  return d == "/" ? d + std::string(name) : d + "/" + std::string(name);
}

}  // namespace

std::string DiscoveryDir(std::string_view xdg_runtime_dir, std::string_view tmpdir, unsigned uid) {
  if (!xdg_runtime_dir.empty()) return JoinPath(xdg_runtime_dir, "quarry");
  return JoinPath(tmpdir.empty() ? std::string_view("/tmp") : tmpdir,
                  "quarry-" + std::to_string(uid));
}

std::string DefaultDiscoveryDir() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  const char* tmp = std::getenv("TMPDIR");
  return DiscoveryDir(xdg ? xdg : "", tmp ? tmp : "", static_cast<unsigned>(::getuid()));
}

DiscoveryFiles DiscoveryFiles::In(const std::string& dir) {
  DiscoveryFiles f;
  f.dir = WithoutTrailingSlashes(dir);
  f.lock = JoinPath(f.dir, "browser.lock");
  f.record = JoinPath(f.dir, "browser.json");
  f.record_tmp = JoinPath(f.dir, "browser.json.tmp");
  f.server_log = JoinPath(f.dir, "browser-server.log");
  return f;
}

StatusOr<ServerRecord> ParseServerRecord(std::string_view text) {
  auto parsed = json::ParseJson(text, "browser.json", 8);
  if (!parsed.ok()) return InvalidArgumentError(parsed.status().message());
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) return InvalidArgumentError("browser.json is not a JSON object");
  ServerRecord r;
  r.ws_endpoint = json::StringOr(j, "ws_endpoint", "");
  if (r.ws_endpoint.empty()) return InvalidArgumentError("browser.json has no ws_endpoint");
  auto pid = j.find("pid");
  if (pid == j.end() || !pid->is_number_integer() || pid->get<int64_t>() <= 0 ||
      pid->get<int64_t>() > 0x7fffffff) {
    return InvalidArgumentError("browser.json: pid is not a positive integer");
  }
  r.pid = pid->get<int64_t>();
  r.proxy_hash = json::StringOr(j, "proxy_hash", "");
  r.started_at = json::StringOr(j, "started_at", "");
  return r;
}

std::string FormatServerRecord(const ServerRecord& r) {
  nlohmann::json j = {{"ws_endpoint", r.ws_endpoint},
                      {"pid", r.pid},
                      {"proxy_hash", r.proxy_hash},
                      {"started_at", r.started_at}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string FormatStartedAt(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<int64_t> AgeSeconds(std::string_view started_at,
                                  std::chrono::system_clock::time_point now) {
  std::tm tm{};
  int y, mo, d, h, mi, s, consumed = 0;
  std::string text(started_at);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
      6) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(text).substr(static_cast<size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) {
      rest.remove_prefix(1);
    }
  }
  if (rest != "Z") return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t started = timegm(&tm);
  return static_cast<int64_t>(std::chrono::system_clock::to_time_t(now) - started);
}

StatusOr<std::string> HealthCheckUrl(std::string_view ep) {
  std::string scheme;
  if (ep.starts_with("ws://")) {
    scheme = "http";
    ep.remove_prefix(5);
  } else if (ep.starts_with("wss://")) {
    scheme = "https";
    ep.remove_prefix(6);
  } else {
    return InvalidArgumentError("not a ws:// or wss:// URL");
  }
  std::string_view authority = ep.substr(0, ep.find_first_of("/?#"));
  // The userinfo ends at the last '@' of the authority (a password may contain '@').
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty() || authority.front() == ':') {
    return InvalidArgumentError("the URL has no host");
  }
  return scheme + "://" + std::string(authority) + "/json/version";
}

StatusOr<int> ParseIdleTimeout(std::string_view text, std::string_view what) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError(std::string(what) + ": " + why);
  };
  if (text.empty()) return bad("empty idle timeout");
  int64_t seconds = 0;
  bool digits = true;
  for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) {
    if (text.size() > 9) return bad("idle timeout too large");
    seconds = std::stoll(std::string(text));
  } else {
    auto d = ParseDuration(text);
    if (!d.ok()) return bad(d.status().message());
    if (d->count() < 0) return bad("idle timeout must not be negative");
    auto s = std::chrono::ceil<std::chrono::seconds>(*d).count();
    if (s > 999'999'999) return bad("idle timeout too large");
    seconds = s;
  }
  if (seconds < 1) return bad("idle timeout must be at least 1s");
  return static_cast<int>(seconds);
}

}  // namespace quarry::browser
