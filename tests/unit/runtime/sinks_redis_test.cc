// The Redis Streams sink against a real redis-server (cli-and-integrations.md §8.5): entry fields,
// pipelined XADD with MAXLEN ~, one EXPIRE per sink instance, retries and timeouts.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <vector>

#include "quarry/sinks/event_sinks.h"
#include "redis_server.h"
#include "test_frames.h"

namespace quarry::sinks {
namespace {

using policy_testing::MakeEvent;
using testing_redis::RedisServer;

struct Entry {
  std::string id;
  std::map<std::string, std::string> fields;
};

std::vector<Entry> XRange(redisContext* c, const std::string& key) {
  std::vector<Entry> out;
  auto* r = static_cast<redisReply*>(redisCommand(c, "XRANGE %s - +", key.c_str()));
  if (r == nullptr) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    Entry e;
    e.id = r->element[i]->element[0]->str;
    redisReply* kv = r->element[i]->element[1];
    for (size_t j = 0; j + 1 < kv->elements; j += 2) {
      e.fields[kv->element[j]->str] = std::string(kv->element[j + 1]->str, kv->element[j + 1]->len);
    }
    out.push_back(std::move(e));
  }
  freeReplyObject(r);
  return out;
}

long long Integer(redisContext* c, const char* fmt, const std::string& arg) {
  auto* r = static_cast<redisReply*>(redisCommand(c, fmt, arg.c_str()));
  long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -999;
  if (r) freeReplyObject(r);
  return v;
}

class SinksRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.ready()) GTEST_SKIP() << "redis-server not available";
    client_ = server_.Client();
    ASSERT_TRUE(client_ && !client_->err);
  }
  void TearDown() override {
    if (client_) redisFree(client_);
  }
  RedisServer server_;
  redisContext* client_ = nullptr;
};

TEST_F(SinksRedisTest, PipelinedBatchWithExactFieldsAndOneExpire) {
  RedisSinkConfig c;
  c.url = server_.url();
  c.stream_key = "t:events";
  c.ttl = std::chrono::hours(1);
  auto sink = NewRedisStreamSink(c, {"run-1", "shop", "products"});
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  std::vector<Event> batch{MakeEvent("item", 1), MakeEvent("log", 2), MakeEvent("item", 3)};
  ASSERT_TRUE((*sink)->WriteEvents(batch).ok());
  auto entries = XRange(client_, "t:events");
  ASSERT_EQ(entries.size(), 3u);
  std::map<std::string, std::string> want{{"run_id", "run-1"},
                                          {"event_type", "log"},
                                          {"seq", "2"},
                                          {"timestamp", "2026-03-22T09:15:00.000Z"},
                                          {"payload", R"({"k0":0,"k1":1})"},
                                          {"source", "shop"},
                                          {"category", "products"}};
  EXPECT_EQ(entries[1].fields, want);
  long long ttl = Integer(client_, "TTL %s", "t:events");
  EXPECT_GT(ttl, 3500);
  EXPECT_LE(ttl, 3600);
  // The EXPIRE is sent once per sink instance: remove it and write again.
  Integer(client_, "PERSIST %s", "t:events");
  ASSERT_TRUE((*sink)->WriteEvents(batch).ok());
  EXPECT_EQ(Integer(client_, "TTL %s", "t:events"), -1);
  EXPECT_EQ(XRange(client_, "t:events").size(), 6u);
}

TEST_F(SinksRedisTest, NegativeTtlSkipsExpireAndMaxLenTrims) {
  RedisSinkConfig c;
  c.url = server_.url();
  c.stream_key = "t:trim";
  c.ttl = Duration(-1);
  c.max_len = 10;
  auto sink = NewRedisStreamSink(c, {"run-1", "s", "c"});
  ASSERT_TRUE(sink.ok());
  std::vector<Event> batch;
  for (int i = 1; i <= 500; ++i) batch.push_back(MakeEvent("item", i));
  ASSERT_TRUE((*sink)->WriteEvents(batch).ok());
  EXPECT_EQ(Integer(client_, "TTL %s", "t:trim"), -1);
  long long len = Integer(client_, "XLEN %s", "t:trim");
  EXPECT_LT(len, 500);  // approximate trimming (~) keeps at least 10
  EXPECT_GE(len, 10);

  c.stream_key = "t:notrim";
  c.max_len = -1;
  auto untrimmed = NewRedisStreamSink(c, {"run-1", "s", "c"});
  ASSERT_TRUE((*untrimmed)->WriteEvents(batch).ok());
  EXPECT_EQ(Integer(client_, "XLEN %s", "t:notrim"), 500);
}

TEST_F(SinksRedisTest, RetriesWithBackoffThenFails) {
  RedisSinkConfig c;
  c.url = "redis://127.0.0.1:" + std::to_string(testing_redis::FreePort());  // nobody listens
  c.retries = 2;
  c.timeout = std::chrono::milliseconds(200);
  auto sink = NewRedisStreamSink(c, {"run-1", "s", "c"});
  ASSERT_TRUE(sink.ok());
  Event ev = MakeEvent("item", 1);
  auto start = std::chrono::steady_clock::now();
  Status s = (*sink)->WriteEvents({&ev, 1});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("failed after 3 attempts"), std::string::npos) << s.message();
  EXPECT_GE(took, std::chrono::milliseconds(1500));  // 500 ms + 1 s of backoff
}

TEST_F(SinksRedisTest, ReconnectsAfterAnError) {
  RedisSinkConfig c;
  c.url = server_.url();
  c.stream_key = "t:re";
  auto sink = NewRedisStreamSink(c, {"run-1", "s", "c"});
  Event ev = MakeEvent("item", 1);
  ASSERT_TRUE((*sink)->WriteEvents({&ev, 1}).ok());
  // Drop every client connection: the next batch reconnects (a retry) and succeeds.
  auto* r = static_cast<redisReply*>(redisCommand(client_, "CLIENT KILL TYPE normal"));
  if (r) freeReplyObject(r);
  redisFree(client_);
  client_ = server_.Client();
  ASSERT_TRUE((*sink)->WriteEvents({&ev, 1}).ok());
  EXPECT_EQ(XRange(client_, "t:re").size(), 2u);
}

}  // namespace
}  // namespace quarry::sinks
