// Notification adapters (cli-and-integrations.md §8.2–§8.4).
#include "quarry/adapters/adapters.h"

#include <algorithm>
#include <thread>

#include "quarry/http_client.h"
#include "quarry/json/canonical_json.h"
#include "quarry/lode/run_writer.h"
#include "quarry/redact.h"
#include "sinks/redis_conn.h"

namespace quarry::adapters {
namespace {

using Clock = std::chrono::steady_clock;

Duration EffectiveTimeout(const AdapterConfig& c) {
  return c.timeout.count() > 0 ? c.timeout : kDefaultAdapterTimeout;
}

// Runs `attempt` up to 1 + retries times with the 500 ms x 2^(i-1) backoff, within `total`.
// `attempt(budget)` returns {status, retryable}.
template <typename F>
Status WithRetries(const char* name, int64_t retries, Duration total, F attempt) {
  const auto deadline = Clock::now() + total;
  Status last;
  int64_t made = 0;
  const int64_t attempts = std::max<int64_t>(retries, 0) + 1;
  for (int64_t i = 0; i < attempts; ++i) {
    if (i > 0) {
      auto wait = sinks::RetryDelay(static_cast<int>(std::min<int64_t>(i, 30)));
      if (Clock::now() + wait >= deadline) {
        last = DeadlineExceededError(last.message() + " (overall timeout reached)");
        break;
      }
      std::this_thread::sleep_for(wait);
    }
    auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now());
    if (left.count() <= 0) {
      last = DeadlineExceededError("overall timeout reached");
      break;
    }
    ++made;
    auto [s, retryable] = attempt(left);
    if (s.ok()) return s;
    last = s;
    if (!retryable) break;
  }
  return UnavailableError(std::string(name) + ": failed after " + std::to_string(made) +
                          (made == 1 ? " attempt: " : " attempts: ") + last.message());
}

class WebhookAdapter final : public Adapter {
 public:
  explicit WebhookAdapter(AdapterConfig c) : c_(std::move(c)) {}

  Status Publish(const std::string& json) override {
    return WithRetries("webhook", c_.retries, EffectiveTimeout(c_),
                       [&](Duration budget) { return Post(json, budget); });
  }
  std::string Target() const override { return RedactUrl(c_.url); }

 private:
  std::pair<Status, bool> Post(const std::string& json, Duration budget) {
    http::Request req;
    req.method = "POST";
    req.url = c_.url;
    req.body = json;
    req.headers = {{"Content-Type", "application/json"}};
    for (const auto& [k, v] : c_.headers) {
      auto it = std::find_if(req.headers.begin(), req.headers.end(),
                             [&key = k](const auto& h) { return h.first == key; });
      if (it != req.headers.end()) {
        it->second = v;
      } else {
        req.headers.emplace_back(k, v);
      }
    }
    req.timeout = std::min(budget, EffectiveTimeout(c_));
    req.follow_redirects = true;
    StatusOr<http::Response> resp = http::Send(req);
    if (!resp.ok()) return {resp.status(), true};  // transport failures are retried
    const long code = resp->status;
    if (code >= 200 && code < 300) return {Status::Ok(), false};
    Status s = UnavailableError("unexpected HTTP status " + std::to_string(code));
    return {s, !(code >= 400 && code < 500)};
  }

  AdapterConfig c_;
};

class RedisAdapter final : public Adapter {
 public:
  RedisAdapter(AdapterConfig c, sinks::RedisUrl url) : c_(std::move(c)), url_(std::move(url)) {
    if (c_.channel.empty()) c_.channel = std::string(kDefaultChannel);
  }

  Status Publish(const std::string& json) override {
    return WithRetries(
        "redis", c_.retries, EffectiveTimeout(c_), [&](Duration budget) -> std::pair<Status, bool> {
          Duration t = std::min(budget, EffectiveTimeout(c_));
          auto conn = sinks::RedisConnect(url_, t);
          if (!conn.ok()) return {conn.status(), true};
          sinks::RedisReplyPtr r(
              static_cast<redisReply*>(redisCommand(conn->get(), "PUBLISH %b %b", c_.channel.data(),
                                                    c_.channel.size(), json.data(), json.size())));
          if (!r) {
            return {UnavailableError("redis: PUBLISH: " + sinks::RedisContextError(conn->get())),
                    true};
          }
          if (r->type == REDIS_REPLY_ERROR) {
            return {UnavailableError("redis: PUBLISH: " + std::string(r->str, r->len)), true};
          }
          return {Status::Ok(), false};
        });
  }
  std::string Target() const override { return RedactUrl(c_.url) + " channel " + c_.channel; }

 private:
  AdapterConfig c_;
  sinks::RedisUrl url_;
};

}  // namespace

std::string CanonicalHeaderName(std::string_view name) {
  std::string out(name);
  bool upper = true;
  for (char& ch : out) {
    if (upper && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (!upper && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    upper = ch == '-';
  }
  return out;
}

std::string RunCompletedJson(const RunCompleted& n) {
  std::string o = "{\"contract_version\":\"0.13.4\",\"event_type\":\"run_completed\"";
  auto str = [&](const char* k, const std::string& v) {
    o += ",\"";
    o += k;
    o += "\":";
    json::AppendString(v, &o);
  };
  auto num = [&](const char* k, int64_t v) {
    o += ",\"";
    o += k;
    o += "\":" + std::to_string(v);
  };
  str("run_id", n.run_id);
  str("source", n.source);
  str("category", n.category);
  str("day", n.day);
  str("outcome", n.outcome);
  str("storage_path", n.storage_path);
  str("timestamp", n.timestamp);
  if (n.job_id && !n.job_id->empty()) str("job_id", *n.job_id);
  num("attempt", n.attempt);
  num("event_count", n.event_count);
  num("duration_ms", n.duration_ms);
  o += "}";
  return o;
}

std::string FsStoragePath(const std::string& abs_root, const std::string& dataset,
                          const std::string& source, const std::string& category,
                          const std::string& day, const std::string& run_id) {
  std::string root = abs_root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  // An S3 root already is a URL ("s3://bucket[/prefix]", §13.2's s3 form).
  return (root.starts_with("s3://") ? "" : "file://") + root + "/datasets/" + dataset +
         "/partitions/source=" + lode::EscapePartitionValue(source) +
         "/category=" + lode::EscapePartitionValue(category) +
         "/day=" + lode::EscapePartitionValue(day) +
         "/run_id=" + lode::EscapePartitionValue(run_id);
}

StatusOr<std::unique_ptr<Adapter>> NewAdapter(const AdapterConfig& config) {
  if (config.type == "webhook") {
    std::string_view u = config.url;
    if (!u.starts_with("http://") && !u.starts_with("https://")) {
      return InvalidArgumentError("invalid webhook URL " + RedactUrl(config.url) +
                                  ": must be http:// or https://");
    }
    return std::unique_ptr<Adapter>(std::make_unique<WebhookAdapter>(config));
  }
  if (config.type == "redis") {
    QUARRY_ASSIGN_OR_RETURN(sinks::RedisUrl url, sinks::ParseRedisUrl(config.url));
    return std::unique_ptr<Adapter>(std::make_unique<RedisAdapter>(config, std::move(url)));
  }
  return InvalidArgumentError("unknown adapter type \"" + config.type + "\"");
}

}  // namespace quarry::adapters
