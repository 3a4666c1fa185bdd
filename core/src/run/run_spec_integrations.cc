// §4.3 steps 9 and 10: the adapter and event-sink settings of a run (cli-and-integrations.md
// §4.1 rows 39–53, §7.4, D11.23, D11.24).
#include <charconv>

#include "quarry/run/run_spec.h"

namespace quarry::run {
namespace {

// "-1" (bare) or any negative duration: expiry off. "" or 0: the default.
StatusOr<Duration> ParseTtl(const std::string& text) {
  if (text.empty()) return sinks::kDefaultTtl;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && end == text.data() + text.size() && n < 0) return Duration(-1);
  QUARRY_ASSIGN_OR_RETURN(Duration d, ParseDuration(text));
  if (d.count() == 0) return sinks::kDefaultTtl;
  if (d.count() < 0) return Duration(-1);
  return d;
}

}  // namespace

StatusOr<std::optional<adapters::AdapterConfig>> BuildAdapterConfig(
    const AdapterSpec& spec, const std::function<void(const std::string&)>& warn) {
  if (spec.type.empty()) return std::optional<adapters::AdapterConfig>();
  if (spec.type != "webhook" && spec.type != "redis") {
    return InvalidArgumentError("unknown adapter type \"" + spec.type +
                                "\": must be webhook or redis");
  }
  if (spec.url.empty()) {
    return InvalidArgumentError("--adapter-url is required when --adapter is set");
  }
  adapters::AdapterConfig c;
  c.type = spec.type;
  c.url = spec.url;
  c.channel = spec.channel;
  if (spec.retries) {
    if (*spec.retries < 0) return InvalidArgumentError("--adapter-retries must be >= 0");
    c.retries = *spec.retries;
  }
  if (!spec.timeout.empty()) {
    QUARRY_ASSIGN_OR_RETURN(Duration t, ParseDuration(spec.timeout));
    if (t.count() > 0) c.timeout = t;
  }
  for (const std::string& h : spec.headers) {
    size_t eq = h.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError("invalid --adapter-header \"" + h.substr(0, h.find('=')) +
                                  "\": must be key=value with a non-empty key");
    }
    std::string name = adapters::CanonicalHeaderName(h.substr(0, eq));
    std::string value = h.substr(eq + 1);
    bool replaced = false;
    for (auto& [k, v] : c.headers) {
      if (k == name) {
        v = value;
        replaced = true;
      }
    }
    if (!replaced) c.headers.emplace_back(name, value);
  }
  if (c.type == "redis" && !c.headers.empty() && warn) {
    warn("--adapter-header is ignored by the redis adapter");
  }
  return std::optional<adapters::AdapterConfig>(std::move(c));
}

StatusOr<std::vector<sinks::SinkConfig>> BuildSinkConfigs(const std::vector<SinkSpec>& list,
                                                          const SinkOverrides& o) {
  std::vector<SinkSpec> specs = list;
  const bool has_redis_flag = o.redis_url || o.redis_stream_key || o.redis_ttl || o.redis_timeout ||
                              o.redis_delivery || o.redis_max_len || o.redis_retries;
  bool has_lode = false, has_redis = false;
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string& t = specs[i].type;
    if (t != "lode" && t != "redis") {
      return InvalidArgumentError("unknown event sink type \"" + t + "\": must be lode or redis");
    }
    for (size_t j = 0; j < i; ++j) {
      if (specs[j].type == t) return InvalidArgumentError("duplicate event sink \"" + t + "\"");
    }
    (t == "lode" ? has_lode : has_redis) = true;
  }
  if (has_redis_flag && !has_redis) {
    const char* flag = o.redis_url          ? "--event-sink-redis-url"
                       : o.redis_stream_key ? "--event-sink-redis-stream-key"
                       : o.redis_max_len    ? "--event-sink-redis-max-len"
                       : o.redis_ttl        ? "--event-sink-redis-ttl"
                       : o.redis_timeout    ? "--event-sink-redis-timeout"
                       : o.redis_retries    ? "--event-sink-redis-retries"
                                            : "--event-sink-redis-delivery";
    return InvalidArgumentError(std::string(flag) +
                                " requires the redis event sink (--event-sink redis)");
  }
  if (o.lode_delivery && !specs.empty() && !has_lode) {
    return InvalidArgumentError(
        "--event-sink-lode-delivery requires the lode event sink (--event-sink lode), or no "
        "--event-sink at all");
  }
  if (specs.empty() && o.lode_delivery) {
    SinkSpec lode;
    lode.type = "lode";
    specs.push_back(lode);
  }
  std::vector<sinks::SinkConfig> out;
  for (SinkSpec s : specs) {
    if (s.type == "redis") {
      if (o.redis_url) s.url = *o.redis_url;
      if (o.redis_stream_key) s.stream_key = *o.redis_stream_key;
      if (o.redis_max_len) s.max_len = *o.redis_max_len;
      if (o.redis_ttl) s.ttl = *o.redis_ttl;
      if (o.redis_timeout) s.timeout = *o.redis_timeout;
      if (o.redis_retries) s.retries = *o.redis_retries;
      if (o.redis_delivery) s.delivery = *o.redis_delivery;
    } else if (o.lode_delivery) {
      s.delivery = *o.lode_delivery;
    }
    sinks::SinkConfig c;
    c.type = s.type;
    auto delivery = sinks::ParseDelivery(s.delivery);
    if (!delivery.ok()) {
      return InvalidArgumentError(s.type + " event sink: " + delivery.status().message());
    }
    c.delivery = *delivery;
    if (s.type == "redis") {
      if (s.url.empty()) {
        return InvalidArgumentError(
            "--event-sink-redis-url is required when redis is an event sink");
      }
      if (s.retries && *s.retries < 0) {
        return InvalidArgumentError("--event-sink-redis-retries must be >= 0");
      }
      c.redis.url = s.url;
      if (!s.stream_key.empty()) c.redis.stream_key = s.stream_key;
      if (s.max_len && *s.max_len != 0) c.redis.max_len = *s.max_len < 0 ? -1 : *s.max_len;
      QUARRY_ASSIGN_OR_RETURN(c.redis.ttl, ParseTtl(s.ttl));
      if (!s.timeout.empty()) {
        QUARRY_ASSIGN_OR_RETURN(Duration t, ParseDuration(s.timeout));
        if (t.count() > 0) c.redis.timeout = t;
      }
      if (s.retries) c.redis.retries = *s.retries;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace quarry::run
