// The reusable browser server (cli-and-integrations.md §10.2–§10.5): one Chromium per host and
// user, started detached by whichever `quarry run` (or `quarry-temporal worker`) first needs it,
// found again by the next one through a discovery file, and ended by the server itself once idle.
//
// Layout of the discovery directory ($XDG_RUNTIME_DIR/quarry/, else <TMPDIR or /tmp>/quarry-<uid>/,
// mode 0700):
//   browser.lock          flock held for a whole acquisition, launch included (serializes hosts'
//                         concurrent runs)
//   browser.json          {ws_endpoint, pid, proxy_hash, started_at}, 0600, replaced atomically
//   browser-server.log    the server's stderr (0600): the server outlives the process that started
//                         it, so it cannot keep that process's stderr (a pipe to a test harness or
//                         `| tee` would never reach end-of-file); launch failures quote its tail
//
// Every process of a server (the executor in --browser-server mode and its Chromium) carries
// QUARRY_BROWSER_DISCOVERY_FILE=<browser.json path> in its environment; stale-server cleanup finds
// leftovers by it (a crashed server's Chromium lives on in its own process group).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "quarry/log.h"
#include "quarry/status.h"

namespace quarry::run {
class CancelToken;
}

namespace quarry::browser {

inline constexpr char kDiscoveryFileEnv[] = "QUARRY_BROWSER_DISCOVERY_FILE";
inline constexpr char kIdleTimeoutEnv[] = "QUARRY_BROWSER_IDLE_TIMEOUT";
inline constexpr int kDefaultIdleTimeoutSeconds = 60;

// $XDG_RUNTIME_DIR/quarry when `xdg_runtime_dir` is non-empty, else <tmpdir>/quarry-<uid>, with
// /tmp for an empty `tmpdir`. Trailing slashes of the inputs are not doubled.
std::string DiscoveryDir(std::string_view xdg_runtime_dir, std::string_view tmpdir, unsigned uid);
// The same from this process's environment and real uid.
std::string DefaultDiscoveryDir();

struct DiscoveryFiles {
  std::string dir, lock, record, record_tmp, server_log;
  static DiscoveryFiles In(const std::string& dir);
};

// browser.json. `proxy_hash` "" means the server was launched without a browser-level proxy (ours
// always are: proxies are per browser context, D4).
struct ServerRecord {
  std::string ws_endpoint;
  int64_t pid = 0;
  std::string proxy_hash;
  std::string started_at;  // UTC RFC 3339, seconds
};

// Errors name what is wrong ("browser.json is not valid JSON", "browser.json has no ws_endpoint",
// "browser.json: pid is not a positive integer"). A missing proxy_hash reads as "".
StatusOr<ServerRecord> ParseServerRecord(std::string_view text);
// One JSON object with exactly the four keys, LF-terminated.
std::string FormatServerRecord(const ServerRecord& record);
// Seconds since started_at at `now`; nullopt when started_at is not "YYYY-MM-DDTHH:MM:SS[.f]Z".
std::optional<int64_t> AgeSeconds(std::string_view started_at,
                                  std::chrono::system_clock::time_point now);
std::string FormatStartedAt(std::chrono::system_clock::time_point t);

// D7: ws://host[:port]/... -> http://host[:port]/json/version (https for wss://); userinfo, path
// and query dropped. Anything but a ws:// or wss:// URL with a host is an error.
StatusOr<std::string> HealthCheckUrl(std::string_view ws_endpoint);
// GET HealthCheckUrl with `timeout`; HTTP 200 required. Errors carry no credential.
Status CheckEndpointHealth(std::string_view ws_endpoint, std::chrono::milliseconds timeout,
                           const run::CancelToken* cancel = nullptr);

// An idle timeout as written by a user: whole seconds ("90") or a duration ("90s", "5m"), rounded
// up to whole seconds, at least 1 s. `what` names the source in errors.
StatusOr<int> ParseIdleTimeout(std::string_view text, std::string_view what);

struct ReuseOptions {
  std::string executor;       // resolved executor path
  std::string script;         // the run's script: the argument of --browser-server
  std::string discovery_dir;  // "" = DefaultDiscoveryDir()
  int idle_timeout_seconds = kDefaultIdleTimeoutSeconds;  // given to a server this call starts
  std::chrono::milliseconds launch_timeout{30000};        // for the endpoint line (§10.3)
  std::chrono::milliseconds health_timeout{2000};         // §10.5
  std::chrono::milliseconds lock_timeout{120000};         // waiting for other acquisitions
  const run::CancelToken* cancel = nullptr;               // aborts waits, kills a half launch
};

struct ReusableBrowser {
  std::string ws_endpoint;
  int64_t pid = 0;
  bool started = false;  // launched by this call (else an existing server is reused)
  std::optional<int64_t> age_seconds;
  std::string record_path;
};

// §10.3: reuse the recorded server when it is alive and healthy, else clean it up and launch a
// new one. An error means "no reusable browser" (the caller falls back to launch mode); a server
// recorded with a non-empty proxy_hash is reported as an error and left running.
StatusOr<ReusableBrowser> AcquireReusableBrowser(const ReuseOptions& options);

// AcquireReusableBrowser plus the stderr lines of §10.3: "reusing browser server pid N (age Ns)",
// "started browser server pid N", or "Browser reuse unavailable: <err>" and "" (launch mode).
std::string AcquireOrFallBack(const ReuseOptions& options, const log::RunContext* run = nullptr);

}  // namespace quarry::browser
