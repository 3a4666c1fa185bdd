// The event-sink fan-out (cli-and-integrations.md §8.5, storage-and-policies.md §3.10): routing,
// concurrency, delivery modes and the joined error text; plus the run-spec validation of the
// sink settings (§4.3 step 10, D11.23, D11.24).
#include <gtest/gtest.h>

#include <future>
#include <vector>

#include "fake_sink.h"
#include "quarry/run/run_spec.h"
#include "quarry/sinks/event_sinks.h"
#include "test_frames.h"

// Designated initializers name only the fields a case is about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace quarry::sinks {
namespace {

using policy_testing::FakeSink;
using policy_testing::MakeChunk;
using policy_testing::MakeEvent;
using Kind = FakeSink::Kind;

std::unique_ptr<FanOutSink> Two(FakeSink* lode, Delivery lode_delivery, FakeSink* other,
                                Delivery other_delivery) {
  std::vector<FanOutSink::Entry> e;
  e.push_back({"lode", lode_delivery, lode, nullptr});
  e.push_back({"redis", other_delivery, other, nullptr});
  return std::make_unique<FanOutSink>(lode, std::move(e), nullptr);
}

TEST(SinksFanOutTest, EmptyListIsTheImplicitMandatoryLodeSink) {
  FakeSink lode;
  auto f = NewFanOutSink(&lode, {}, {"r", "s", "c"}, nullptr);
  ASSERT_TRUE(f.ok());
  Event ev = MakeEvent("item", 1);
  ASSERT_TRUE((*f)->WriteEvents({&ev, 1}).ok());
  lode.FailNext(Kind::kEvents, 1);
  Status s = (*f)->WriteEvents({&ev, 1});
  EXPECT_EQ(s.message(), "injected write failure");  // one sink: called directly
  EXPECT_EQ(lode.Persisted(Kind::kEvents), std::vector<int64_t>{1});
}

TEST(SinksFanOutTest, ASingleBestEffortSinkSwallowsItsError) {
  FakeSink lode;
  auto f = NewFanOutSink(&lode, {SinkConfig{"lode", Delivery::kBestEffort, {}}}, {}, nullptr);
  ASSERT_TRUE(f.ok());
  lode.FailNext(Kind::kEvents, 1);
  Event ev = MakeEvent("item", 1);
  EXPECT_TRUE((*f)->WriteEvents({&ev, 1}).ok());
}

TEST(SinksFanOutTest, ChunksAlwaysGoToLodeEvenWithoutLodeInTheList) {
  FakeSink lode, redis;
  std::vector<FanOutSink::Entry> e;
  e.push_back({"redis", Delivery::kMandatory, &redis, nullptr});
  FanOutSink f(&lode, std::move(e), nullptr);
  Chunk c = MakeChunk("a1", 1, "data", true);
  Event ev = MakeEvent("item", 1);
  ASSERT_TRUE(f.WriteChunks({&c, 1}).ok());
  ASSERT_TRUE(f.WriteEvents({&ev, 1}).ok());
  EXPECT_EQ(lode.Persisted(Kind::kChunks), std::vector<int64_t>{1});
  EXPECT_TRUE(lode.Persisted(Kind::kEvents).empty());  // a list without lode: no Lode events
  EXPECT_EQ(redis.Persisted(Kind::kEvents), std::vector<int64_t>{1});
  EXPECT_TRUE(redis.Persisted(Kind::kChunks).empty());
}

TEST(SinksFanOutTest, SeveralSinksAreCalledConcurrently) {
  FakeSink lode, redis;
  auto f = Two(&lode, Delivery::kMandatory, &redis, Delivery::kMandatory);
  lode.CloseGate();
  redis.CloseGate();
  Event ev = MakeEvent("item", 7);
  auto done = std::async(std::launch::async, [&] { return f->WriteEvents({&ev, 1}); });
  // Both sinks hold the same batch at the same time.
  ASSERT_TRUE(lode.WaitForEntered(1));
  ASSERT_TRUE(redis.WaitForEntered(1));
  lode.OpenGate();
  redis.OpenGate();
  EXPECT_TRUE(done.get().ok());
  EXPECT_EQ(lode.Persisted(Kind::kEvents), std::vector<int64_t>{7});
  EXPECT_EQ(redis.Persisted(Kind::kEvents), std::vector<int64_t>{7});
}

TEST(SinksFanOutTest, MandatoryFailuresAreJoined) {
  FakeSink lode, redis;
  auto f = Two(&lode, Delivery::kMandatory, &redis, Delivery::kMandatory);
  lode.FailNext(Kind::kEvents, 1, IOError("disk full"));
  redis.FailNext(Kind::kEvents, 1, UnavailableError("connection refused"));
  Event ev = MakeEvent("item", 1);
  EXPECT_EQ(f->WriteEvents({&ev, 1}).message(),
            "event sink writes failed: lode: disk full; redis: connection refused");
  redis.FailNext(Kind::kEvents, 1, UnavailableError("connection refused"));
  EXPECT_EQ(f->WriteEvents({&ev, 1}).message(),
            "event sink write failed: redis: connection refused");
}

TEST(SinksFanOutTest, BestEffortFailuresAreSwallowed) {
  FakeSink lode, redis;
  auto f = Two(&lode, Delivery::kBestEffort, &redis, Delivery::kMandatory);
  lode.FailNext(Kind::kEvents, 1);
  Event ev = MakeEvent("item", 1);
  EXPECT_TRUE(f->WriteEvents({&ev, 1}).ok());
  redis.FailNext(Kind::kEvents, 1, UnavailableError("down"));
  lode.FailNext(Kind::kEvents, 1);
  EXPECT_EQ(f->WriteEvents({&ev, 1}).message(), "event sink write failed: redis: down");
}

TEST(SinksFanOutTest, DuplicateAndUnknownSinksAreRefused) {
  FakeSink lode;
  SinkConfig l{"lode", Delivery::kMandatory, {}};
  EXPECT_EQ(NewFanOutSink(&lode, {l, l}, {}, nullptr).status().message(),
            "duplicate event sink \"lode\"");
  SinkConfig bad{"kafka", Delivery::kMandatory, {}};
  EXPECT_FALSE(NewFanOutSink(&lode, {bad}, {}, nullptr).ok());
  SinkConfig r{"redis", Delivery::kMandatory, {}};
  r.redis.url = "http://x";
  EXPECT_FALSE(NewFanOutSink(&lode, {r}, {}, nullptr).ok());
}

TEST(SinksFanOutTest, ParseRedisUrl) {
  auto u = ParseRedisUrl("redis://user:p%40ss@example.org:6380/3");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->host, "example.org");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->username, "user");
  EXPECT_EQ(u->password, "p@ss");
  EXPECT_EQ(u->db, 3);
  auto d = ParseRedisUrl("redis://127.0.0.1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 6379);
  EXPECT_EQ(d->db, 0);
  auto bad = ParseRedisUrl("redis://u:secret@host:99999");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("secret"), std::string::npos);
  EXPECT_FALSE(ParseRedisUrl("rediss://host:6379").ok());  // no TLS in this build
  EXPECT_FALSE(ParseRedisUrl("host:6379").ok());
}

TEST(SinksFanOutTest, StreamEntryFieldsAreExact) {
  Event ev = MakeEvent("item", 4);
  auto f = StreamEntryFields(ev, {"run-9", "shop", "products"});
  ASSERT_TRUE(f.ok());
  std::vector<std::pair<std::string, std::string>> want{{"run_id", "run-9"},
                                                        {"event_type", "item"},
                                                        {"seq", "4"},
                                                        {"timestamp", "2026-03-22T09:15:00.000Z"},
                                                        {"payload", R"({"k0":0,"k1":1})"},
                                                        {"source", "shop"},
                                                        {"category", "products"}};
  EXPECT_EQ(*f, want);
}

// §4.3 step 10 and D11.23/D11.24 as shared by the CLI and the worker.
TEST(SinksSpecTest, DefaultsAndDisabling) {
  run::SinkSpec redis{.type = "redis", .url = "redis://127.0.0.1:1"};
  auto c = run::BuildSinkConfigs({redis}, {});
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].redis.stream_key, "quarry:events");
  EXPECT_EQ((*c)[0].redis.max_len, 100000);
  EXPECT_EQ((*c)[0].redis.ttl, std::chrono::hours(24));
  EXPECT_EQ((*c)[0].redis.timeout, std::chrono::seconds(2));
  EXPECT_EQ((*c)[0].redis.retries, 2);
  EXPECT_EQ((*c)[0].delivery, Delivery::kMandatory);

  run::SinkOverrides o;
  o.redis_ttl = "-1";
  o.redis_max_len = -1;
  o.redis_retries = 0;
  o.redis_delivery = "best_effort";
  c = run::BuildSinkConfigs({redis}, o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_LT((*c)[0].redis.ttl.count(), 0);
  EXPECT_LT((*c)[0].redis.max_len, 0);
  EXPECT_EQ((*c)[0].redis.retries, 0);
  EXPECT_EQ((*c)[0].delivery, Delivery::kBestEffort);
  o = {};
  o.redis_ttl = "-5m";
  c = run::BuildSinkConfigs({redis}, o);
  ASSERT_TRUE(c.ok());
  EXPECT_LT((*c)[0].redis.ttl.count(), 0);
  // Explicit 0 for max_len/ttl means the default.
  redis.max_len = 0;
  redis.ttl = "0";
  c = run::BuildSinkConfigs({redis}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)[0].redis.max_len, 100000);
  EXPECT_EQ((*c)[0].redis.ttl, std::chrono::hours(24));
}

TEST(SinksSpecTest, Errors) {
  auto msg = [](std::vector<run::SinkSpec> l, run::SinkOverrides o = {}) {
    auto c = run::BuildSinkConfigs(l, o);
    return c.ok() ? std::string("ok") : c.status().message();
  };
  EXPECT_EQ(msg({{.type = "lode"}, {.type = "lode"}}), "duplicate event sink \"lode\"");
  EXPECT_EQ(msg({{.type = "nats"}}), "unknown event sink type \"nats\": must be lode or redis");
  EXPECT_EQ(msg({{.type = "redis"}}),
            "--event-sink-redis-url is required when redis is an event sink");
  EXPECT_EQ(msg({{.type = "lode", .delivery = "sometimes"}}),
            "lode event sink: invalid delivery mode \"sometimes\": must be mandatory or "
            "best_effort");
  run::SinkOverrides o;
  o.redis_retries = -1;
  o.redis_url = "redis://x";
  EXPECT_EQ(msg({{.type = "redis"}}, o), "--event-sink-redis-retries must be >= 0");
  // D11.24: a sink flag without its sink.
  run::SinkOverrides only_ttl;
  only_ttl.redis_ttl = "1h";
  EXPECT_EQ(msg({}, only_ttl),
            "--event-sink-redis-ttl requires the redis event sink (--event-sink redis)");
  EXPECT_EQ(msg({{.type = "lode"}}, only_ttl),
            "--event-sink-redis-ttl requires the redis event sink (--event-sink redis)");
  run::SinkOverrides lode_best;
  lode_best.lode_delivery = "best_effort";
  EXPECT_NE(msg({{.type = "redis", .url = "redis://x"}}, lode_best), "ok");
  // ... while it applies to the implicit Lode sink.
  auto c = run::BuildSinkConfigs({}, lode_best);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].type, "lode");
  EXPECT_EQ((*c)[0].delivery, Delivery::kBestEffort);
}

}  // namespace
}  // namespace quarry::sinks
