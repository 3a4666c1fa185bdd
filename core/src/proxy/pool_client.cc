#include "quarry/proxy/pool_client.h"

#include <chrono>

#include "quarry/log.h"

namespace quarry::proxy {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StatusOr<Selection> PoolClient::Select() {
  std::vector<std::string> notices;
  StatusOr<Selection> s =
      store_->Commit(pool_, request_, NowMs(), rules_, SystemRandom(), &notices);
  for (const std::string& n : notices) log::Warning(n);
  if (s.ok()) {
    for (const std::string& w : s->warnings) log::Warning(w);
  }
  return s;
}

void PoolClient::Rotated(const Selection& s) {
  if (Status st = store_->Rotate(pool_, s.index, s.sticky_key); !st.ok()) {
    log::Error("could not record rotate_proxy for pool \"" + pool_.name + "\": " + st.message());
  }
}

void PoolClient::RunEnded(const Selection& s, bool failed) {
  if (Status st = store_->RecordOutcome(pool_, s.index, failed, NowMs(), rules_); !st.ok()) {
    log::Error("could not record the proxy outcome for pool \"" + pool_.name +
               "\": " + st.message());
  }
}

namespace {

bool Contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

bool IsAuthFailure(std::string_view m) {
  return Contains(m, "ERR_INVALID_AUTH_CREDENTIALS") || Contains(m, "ERR_PROXY_AUTH") ||
         Contains(m, "Proxy Authentication Required");
}

}  // namespace

bool IsProxyFailure(std::string_view m) {
  return Contains(m, "ERR_PROXY_") || Contains(m, "ERR_TUNNEL_CONNECTION_FAILED") ||
         Contains(m, "ERR_SOCKS_CONNECTION_FAILED") || IsAuthFailure(m);
}

std::string ExplainProxyFailure(std::string_view m, const Endpoint& used) {
  if (IsAuthFailure(m)) {
    return "proxy authentication failed for " + Describe(used) +
           ": check the pool's username and password";
  }
  if (IsProxyFailure(m)) return "proxy connection failed through " + Describe(used);
  return "";
}

}  // namespace quarry::proxy
