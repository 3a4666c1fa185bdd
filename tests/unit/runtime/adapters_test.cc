// Notification adapters (cli-and-integrations.md §8.2–§8.4): the run_completed payload, header
// names, the run-spec validation of §4.3 step 9, and Redis PUBLISH against a real redis-server.
// The webhook's retries and backoff are exercised end to end in tests/e2e/test_integrations.py.
#include <gtest/gtest.h>

#include <thread>

#include "quarry/adapters/adapters.h"
#include "quarry/run/run_spec.h"
#include "redis_server.h"

// Designated initializers name only the fields a case is about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace quarry::adapters {
namespace {

TEST(AdaptersTest, RunCompletedJsonIsExact) {
  RunCompleted n;
  n.run_id = "run-001";
  n.source = "shop";
  n.category = "products";
  n.day = "2026-03-22";
  n.outcome = "success";
  n.storage_path = FsStoragePath("/data/", "quarry", "shop", "products", "2026-03-22", "run-001");
  n.timestamp = "2026-03-22T09:15:02Z";
  n.job_id = "job-42";
  n.attempt = 1;
  n.event_count = 5;
  n.duration_ms = 1902;
  EXPECT_EQ(
      RunCompletedJson(n),
      R"({"contract_version":"0.13.4","event_type":"run_completed","run_id":"run-001","source":"shop","category":"products","day":"2026-03-22","outcome":"success","storage_path":"file:///data/datasets/quarry/partitions/source=shop/category=products/day=2026-03-22/run_id=run-001","timestamp":"2026-03-22T09:15:02Z","job_id":"job-42","attempt":1,"event_count":5,"duration_ms":1902})");
  n.job_id.reset();
  EXPECT_EQ(RunCompletedJson(n).find("job_id"), std::string::npos);
  // Partition values are escaped (D11.11).
  EXPECT_EQ(FsStoragePath("/d", "q", "shop eu/1", "c", "2026-01-01", "r?1"),
            "file:///d/datasets/q/partitions/source=shop%20eu%2F1/category=c/day=2026-01-01/"
            "run_id=r%3F1");
}

TEST(AdaptersTest, CanonicalHeaderNames) {
  EXPECT_EQ(CanonicalHeaderName("x-api-key"), "X-Api-Key");
  EXPECT_EQ(CanonicalHeaderName("CONTENT-TYPE"), "Content-Type");
  EXPECT_EQ(CanonicalHeaderName("authorization"), "Authorization");
}

TEST(AdaptersTest, SpecValidationAndHeaderMerge) {
  std::vector<std::string> warnings;
  auto warn = [&](const std::string& w) { warnings.push_back(w); };
  auto msg = [&](run::AdapterSpec s) {
    auto c = run::BuildAdapterConfig(s, warn);
    return c.ok() ? std::string("ok") : c.status().message();
  };
  EXPECT_EQ(msg({.type = "nats", .url = "x"}),
            "unknown adapter type \"nats\": must be webhook or redis");
  EXPECT_EQ(msg({.type = "webhook"}), "--adapter-url is required when --adapter is set");
  EXPECT_EQ(msg({.type = "webhook", .url = "http://h", .retries = -1}),
            "--adapter-retries must be >= 0");
  EXPECT_EQ(msg({.type = "webhook", .url = "http://h", .headers = {"novalue"}}),
            "invalid --adapter-header \"novalue\": must be key=value with a non-empty key");
  EXPECT_EQ(msg({.type = "webhook", .url = "http://h", .headers = {"=v"}}),
            "invalid --adapter-header \"\": must be key=value with a non-empty key");

  auto none = run::BuildAdapterConfig({}, warn);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  run::AdapterSpec s{.type = "webhook",
                     .url = "http://h",
                     .headers = {"authorization=Bearer a", "x-b=1,2", "Authorization=Bearer b=c"},
                     .retries = 0};
  auto c = run::BuildAdapterConfig(s, warn);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->has_value());
  std::vector<std::pair<std::string, std::string>> want{{"Authorization", "Bearer b=c"},
                                                        {"X-B", "1,2"}};
  EXPECT_EQ((*c)->headers, want);
  EXPECT_EQ((*c)->retries, 0);  // an explicit 0 is honoured
  EXPECT_EQ((*c)->timeout, std::chrono::seconds(10));
  EXPECT_TRUE(warnings.empty());

  s.type = "redis";
  s.retries.reset();
  c = run::BuildAdapterConfig(s, warn);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->retries, 3);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "--adapter-header is ignored by the redis adapter");
}

TEST(AdaptersTest, BadUrlsFailAtCreationWithoutSecrets) {
  auto r = NewAdapter({.type = "redis", .url = "redis://u:hunter2@host:notaport"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("hunter2"), std::string::npos);
  EXPECT_FALSE(NewAdapter({.type = "webhook", .url = "ftp://x"}).ok());
}

TEST(AdaptersTest, RedisPublishReachesASubscriber) {
  testing_redis::RedisServer server;
  if (!server.ready()) GTEST_SKIP() << "redis-server not available";
  redisContext* sub = server.Client();
  ASSERT_TRUE(sub && !sub->err);
  freeReplyObject(redisCommand(sub, "SUBSCRIBE quarry:run_completed"));
  auto a = NewAdapter({.type = "redis", .url = server.url()});
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE((*a)->Publish(R"({"run_id":"r1"})").ok());
  void* raw = nullptr;
  ASSERT_EQ(redisGetReply(sub, &raw), REDIS_OK);
  auto* msg = static_cast<redisReply*>(raw);
  ASSERT_EQ(msg->elements, 3u);
  EXPECT_STREQ(msg->element[0]->str, "message");
  EXPECT_STREQ(msg->element[1]->str, "quarry:run_completed");
  EXPECT_STREQ(msg->element[2]->str, R"({"run_id":"r1"})");
  freeReplyObject(msg);
  redisFree(sub);
  // Zero subscribers is still success.
  auto other = NewAdapter({.type = "redis", .url = server.url(), .channel = "nobody"});
  EXPECT_TRUE((*other)->Publish("{}").ok());
}

TEST(AdaptersTest, RedisPublishRetriesWithinTheOverallTimeout) {
  int port = testing_redis::FreePort();
  auto a = NewAdapter({.type = "redis",
                       .url = "redis://127.0.0.1:" + std::to_string(port),
                       .timeout = std::chrono::milliseconds(1200),
                       .retries = 5});
  ASSERT_TRUE(a.ok());
  auto start = std::chrono::steady_clock::now();
  Status s = (*a)->Publish("{}");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(s.ok());
  // Attempts at 0 and 0.5 s; the next wait (1 s) would pass the 1.2 s overall limit.
  EXPECT_NE(s.message().find("redis: failed after 2 attempts"), std::string::npos) << s.message();
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace quarry::adapters
