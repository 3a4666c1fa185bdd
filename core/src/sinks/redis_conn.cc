#include "sinks/redis_conn.h"

#include <sys/time.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "quarry/redact.h"

namespace quarry::sinks {
namespace {

timeval ToTimeval(Duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  if (us <= 0) us = 1;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  return tv;
}

Status Command(redisContext* c, const std::vector<std::string>& args, const char* what) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  RedisReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!reply) return UnavailableError(std::string(what) + ": " + RedisContextError(c));
  if (reply->type == REDIS_REPLY_ERROR) {
    return UnavailableError(std::string(what) + ": " + std::string(reply->str, reply->len));
  }
  return Status::Ok();
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(
          static_cast<char>(std::strtol(std::string(s.substr(i + 1, 2)).c_str(), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Duration RetryDelay(int retry) {
  if (retry < 1) return Duration{0};
  int shift = std::min(retry - 1, 20);
  return std::chrono::milliseconds(500LL << shift);
}

std::string RedisContextError(const redisContext* c) {
  if (c == nullptr) return "cannot allocate a redis context";
  if (c->err == 0) return "no reply";
  std::string e = c->errstr;
  return e.empty() ? "I/O error" : e;
}

StatusOr<RedisUrl> ParseRedisUrl(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("invalid redis URL " + RedactUrl(url) + ": " + why);
  };
  std::string_view u = url;
  if (u.starts_with("rediss://")) {
    return bad("TLS (rediss://) is not supported in this build");
  }
  if (!u.starts_with("redis://")) return bad("must start with redis://");
  u.remove_prefix(8);
  RedisUrl out;
  std::string_view authority = u.substr(0, u.find_first_of("/?#"));
  std::string_view rest = u.substr(authority.size());
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view info = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    if (size_t colon = info.find(':'); colon != std::string_view::npos) {
      out.username = PercentDecode(info.substr(0, colon));
      out.password = PercentDecode(info.substr(colon + 1));
    } else {
      // redis://secret@host: a password only (as redis-cli and go-redis read it).
      out.password = PercentDecode(info);
    }
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    out.host = std::string(host.substr(1, close - 1));
    host.remove_prefix(close + 1);
    if (!host.empty() && host.front() != ':') return bad("invalid host");
    if (!host.empty()) host.remove_prefix(1);
    authority = host;
    host = {};
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    if (colon > 0) out.host = std::string(host.substr(0, colon));
    authority = host.substr(colon + 1);
  } else {
    if (!host.empty()) out.host = std::string(host);
    authority = {};
  }
  if (!authority.empty()) {
    int port = 0;
    for (char ch : authority) {
      if (ch < '0' || ch > '9' || port > 65535) return bad("invalid port");
      port = port * 10 + (ch - '0');
    }
    if (port < 1 || port > 65535) return bad("invalid port");
    out.port = port;
  }
  if (rest.starts_with("/")) {
    rest.remove_prefix(1);
    std::string_view db = rest.substr(0, rest.find_first_of("?#"));
    if (!db.empty()) {
      int64_t n = 0;
      for (char ch : db) {
        if (ch < '0' || ch > '9' || n > 1'000'000) return bad("invalid database number");
        n = n * 10 + (ch - '0');
      }
      out.db = n;
    }
  }
  return out;
}

StatusOr<RedisContextPtr> RedisConnect(const RedisUrl& url, Duration timeout) {
  timeval tv = ToTimeval(timeout);
  RedisContextPtr c(redisConnectWithTimeout(url.host.c_str(), url.port, tv));
  if (!c || c->err) {
    return UnavailableError("redis: connect " + url.host + ":" + std::to_string(url.port) + ": " +
                            RedisContextError(c.get()));
  }
  if (redisSetTimeout(c.get(), tv) != REDIS_OK) {
    return UnavailableError("redis: set timeout: " + RedisContextError(c.get()));
  }
  if (!url.password.empty()) {
    std::vector<std::string> args{"AUTH"};
    if (!url.username.empty()) args.push_back(url.username);
    args.push_back(url.password);
    QUARRY_RETURN_IF_ERROR(Command(c.get(), args, "redis: AUTH"));
  }
  if (url.db != 0) {
    QUARRY_RETURN_IF_ERROR(Command(c.get(), {"SELECT", std::to_string(url.db)}, "redis: SELECT"));
  }
  return c;
}

}  // namespace quarry::sinks
