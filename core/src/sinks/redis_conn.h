// A small synchronous hiredis connection shared by the Redis Streams sink and the Redis pub/sub
// adapter: connect with a timeout, AUTH and SELECT from the URL, and error texts without secrets.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>

#include "quarry/duration.h"
#include "quarry/sinks/event_sinks.h"
#include "quarry/status.h"

namespace quarry::sinks {

struct RedisContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using RedisContextPtr = std::unique_ptr<redisContext, RedisContextFree>;

// Connects, sets `timeout` for every later command, authenticates and selects the database.
StatusOr<RedisContextPtr> RedisConnect(const RedisUrl& url, Duration timeout);

// The error of a failed command on `c` (I/O error text), or of an error reply.
std::string RedisContextError(const redisContext* c);

struct RedisReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyFree>;

// 500 ms x 2^(retry-1) for retry >= 1 (cli-and-integrations.md §8.3, §8.5).
Duration RetryDelay(int retry);

}  // namespace quarry::sinks
