// Redis Streams sink (cli-and-integrations.md §8.5): one pipelined XADD per event of a batch,
// MAXLEN ~ trimming, one EXPIRE after the first successful write, whole-batch retries.
#include <thread>

#include "quarry/json/canonical_json.h"
#include "quarry/sinks/event_sinks.h"
#include "sinks/redis_conn.h"

namespace quarry::sinks {
namespace {

class RedisStreamSink final : public EventSink {
 public:
  RedisStreamSink(RedisSinkConfig config, RedisUrl url, RunLabels labels)
      : c_(std::move(config)), url_(std::move(url)), labels_(std::move(labels)) {}

  Status WriteEvents(std::span<const Event> events) override {
    if (events.empty()) return Status::Ok();
    // Encode once; every attempt resends the same batch.
    std::vector<std::vector<std::string>> commands;
    commands.reserve(events.size());
    for (const Event& e : events) {
      QUARRY_ASSIGN_OR_RETURN(auto fields, StreamEntryFields(e, labels_));
      std::vector<std::string> argv{"XADD", c_.stream_key};
      if (c_.max_len > 0) {
        argv.insert(argv.end(), {"MAXLEN", "~", std::to_string(c_.max_len)});
      }
      argv.emplace_back("*");
      for (auto& [k, v] : fields) {
        argv.push_back(std::move(k));
        argv.push_back(std::move(v));
      }
      commands.push_back(std::move(argv));
    }
    Status last;
    const int attempts = static_cast<int>(std::max<int64_t>(c_.retries, 0)) + 1;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0 && c_.backoff) std::this_thread::sleep_for(RetryDelay(attempt));
      last = Attempt(commands);
      if (last.ok()) break;
      conn_.reset();  // reconnect on the next attempt
    }
    if (!last.ok()) {
      return Status(last.code(), "redis: XADD " + c_.stream_key + " failed after " +
                                     std::to_string(attempts) + " attempts: " + last.message());
    }
    if (!expired_ && c_.ttl.count() >= 0) {
      expired_ = true;
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(c_.ttl).count();
      if (secs > 0) {
        RedisReplyPtr r(static_cast<redisReply*>(
            redisCommand(conn_.get(), "EXPIRE %b %lld", c_.stream_key.data(), c_.stream_key.size(),
                         static_cast<long long>(secs))));
        if (!r) conn_.reset();  // errors are ignored (§8.5)
      }
    }
    return Status::Ok();
  }

  // The payload must be encodable (no NaN, no map key that is not UTF-8): a buffering policy
  // then refuses such an event when it arrives, not with its whole batch at the flush.
  Status CheckEvent(const Event& event) const override {
    if (event.payload.size == 0 || json::MsgpackAsJsonSizeBound(event.Get(event.payload))) {
      return Status::Ok();
    }
    return StreamEntryFields(event, labels_).status();
  }

  Status Close() override {
    conn_.reset();
    return Status::Ok();
  }

 private:
  Status Attempt(const std::vector<std::vector<std::string>>& commands) {
    if (!conn_) {
      QUARRY_ASSIGN_OR_RETURN(conn_, RedisConnect(url_, c_.timeout));
    }
    for (const auto& argv : commands) {
      std::vector<const char*> ptrs;
      std::vector<size_t> lens;
      ptrs.reserve(argv.size());
      lens.reserve(argv.size());
      for (const auto& a : argv) {
        ptrs.push_back(a.data());
        lens.push_back(a.size());
      }
      if (redisAppendCommandArgv(conn_.get(), static_cast<int>(ptrs.size()), ptrs.data(),
                                 lens.data()) != REDIS_OK) {
        return UnavailableError(RedisContextError(conn_.get()));
      }
    }
    Status first_error;
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(conn_.get(), &raw) != REDIS_OK) {
        return UnavailableError(RedisContextError(conn_.get()));
      }
      RedisReplyPtr reply(static_cast<redisReply*>(raw));
      if (reply && reply->type == REDIS_REPLY_ERROR && first_error.ok()) {
        first_error = UnavailableError(std::string(reply->str, reply->len));
      }
    }
    return first_error;
  }

  RedisSinkConfig c_;
  RedisUrl url_;
  RunLabels labels_;
  RedisContextPtr conn_;
  bool expired_ = false;
};

}  // namespace

StatusOr<std::vector<std::pair<std::string, std::string>>> StreamEntryFields(
    const Event& event, const RunLabels& labels) {
  std::string payload;
  if (event.payload.size == 0) {
    payload = "{}";
  } else if (Status s = json::AppendMsgpackAsJson(event.Get(event.payload), "payload", &payload);
             !s.ok()) {
    return InvalidArgumentError("event seq " + std::to_string(event.seq) + " (" +
                                std::string(event.Type()) + "): " + s.message());
  }
  std::vector<std::pair<std::string, std::string>> f;
  f.reserve(7);
  f.emplace_back("run_id", labels.run_id);
  f.emplace_back("event_type", std::string(event.Type()));
  f.emplace_back("seq", std::to_string(event.seq));
  f.emplace_back("timestamp", std::string(event.Get(event.ts)));
  f.emplace_back("payload", std::move(payload));
  f.emplace_back("source", labels.source);
  f.emplace_back("category", labels.category);
  return f;
}

StatusOr<std::unique_ptr<EventSink>> NewRedisStreamSink(const RedisSinkConfig& config,
                                                        RunLabels labels) {
  QUARRY_ASSIGN_OR_RETURN(RedisUrl url, ParseRedisUrl(config.url));
  RedisSinkConfig c = config;
  if (c.stream_key.empty()) c.stream_key = std::string(kDefaultStreamKey);
  if (c.timeout.count() <= 0) c.timeout = kDefaultRedisTimeout;
  return std::unique_ptr<EventSink>(
      std::make_unique<RedisStreamSink>(std::move(c), std::move(url), std::move(labels)));
}

}  // namespace quarry::sinks
