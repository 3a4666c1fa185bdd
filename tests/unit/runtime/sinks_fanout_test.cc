// The event-sink fan-out (cli-and-integrations.md §8.5, storage-and-policies.md §3.10): routing,
// concurrency, delivery modes and the joined error text; plus the run-spec validation of the
// sink settings (§4.3 step 10, D11.23, D11.24).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
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
  Event next = MakeEvent("item", 2);
  EXPECT_EQ(f->WriteEvents({&next, 1}).message(), "event sink write failed: redis: down");
}

std::vector<Event> Events(int64_t first, int64_t last) {
  std::vector<Event> out;
  for (int64_t s = first; s <= last; ++s) out.push_back(MakeEvent("item", s));
  return out;
}

// A batch stored by Lode but refused by a mandatory Redis is one failed write for the policy, yet
// Lode holds it: it counts as persisted, and the policy's retry of the batch reaches only the sink
// that lacks it (Lode would otherwise store every event twice).
TEST(SinksFanOutTest, APartlyStoredBatchIsCountedOnceAndRewrittenOnlyWhereItFailed) {
  FakeSink lode, redis;
  auto f = Two(&lode, Delivery::kMandatory, &redis, Delivery::kMandatory);
  redis.FailNext(Kind::kEvents, 1, UnavailableError("down"));
  auto batch = Events(1, 3);
  EXPECT_EQ(f->WriteEvents(batch).message(), "event sink write failed: redis: down");
  EXPECT_EQ(f->events_stored(), 3u);
  auto retry = Events(1, 4);  // the policy puts the failed batch back in front of newer events
  ASSERT_TRUE(f->WriteEvents(retry).ok());
  EXPECT_EQ(lode.Persisted(Kind::kEvents), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(redis.Persisted(Kind::kEvents), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(f->events_stored(), 4u);
  auto counts = f->counts();
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].label, "lode");
  EXPECT_EQ(counts[0].stored, 4u);
  EXPECT_EQ(counts[1].stored, 4u);
  EXPECT_EQ(counts[1].dropped, 0u);
}

TEST(SinksFanOutTest, NothingStoredAnywhereCountsNothing) {
  FakeSink lode, redis;
  auto f = Two(&lode, Delivery::kMandatory, &redis, Delivery::kMandatory);
  lode.FailNext(Kind::kEvents, 1);
  redis.FailNext(Kind::kEvents, 1);
  auto batch = Events(1, 2);
  EXPECT_FALSE(f->WriteEvents(batch).ok());
  EXPECT_EQ(f->events_stored(), 0u);
  ASSERT_TRUE(f->WriteEvents(batch).ok());
  EXPECT_EQ(f->events_stored(), 2u);
  EXPECT_EQ(lode.Persisted(Kind::kEvents), (std::vector<int64_t>{1, 2}));
}

// A best_effort sink is offered each event once: what it failed is dropped for it (and counted),
// never delivered again when a mandatory failure makes the policy resend the batch.
TEST(SinksFanOutTest, BestEffortSinksAreOfferedEachEventOnce) {
  FakeSink lode, redis;
  auto f = Two(&lode, Delivery::kMandatory, &redis, Delivery::kBestEffort);
  lode.FailNext(Kind::kEvents, 1);
  redis.FailNext(Kind::kEvents, 1);
  auto batch = Events(1, 2);
  EXPECT_FALSE(f->WriteEvents(batch).ok());
  EXPECT_EQ(f->events_stored(), 0u);
  ASSERT_TRUE(f->WriteEvents(batch).ok());
  EXPECT_EQ(f->events_stored(), 2u);
  EXPECT_TRUE(redis.Persisted(Kind::kEvents).empty());
  EXPECT_EQ(f->counts()[1].dropped, 2u);
}

// The circuit breaker (docs/integrations.md): one failed delivery opens it; deliveries are then
// skipped (no call, counted as dropped) until the probe time; a failed probe doubles the wait, a
// successful one closes the breaker and the sink is used again.
TEST(SinksFanOutTest, ABestEffortSinkThatIsDownIsSkippedAndProbedUntilItIsBack) {
  FakeSink lode, redis;
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  BreakerOptions breaker;
  breaker.first_probe = std::chrono::milliseconds(1000);
  breaker.max_probe = std::chrono::milliseconds(3000);
  breaker.now = [&now] { return now; };
  std::vector<FanOutSink::Entry> e;
  e.push_back({"lode", Delivery::kMandatory, &lode, nullptr});
  e.push_back({"redis", Delivery::kBestEffort, &redis, nullptr});
  FanOutSink f(&lode, std::move(e), nullptr, breaker);
  auto write = [&](int64_t seq) {
    Event ev = MakeEvent("item", seq);
    return f.WriteEvents({&ev, 1});
  };
  auto redis_calls = [&] { return redis.calls().size(); };

  redis.FailAll(true);
  ASSERT_TRUE(write(1).ok());  // the failure burst: one call, the breaker opens
  EXPECT_EQ(redis_calls(), 1u);
  for (int64_t s = 2; s <= 20; ++s) ASSERT_TRUE(write(s).ok());
  EXPECT_EQ(redis_calls(), 1u);  // skipped, not called
  now += std::chrono::milliseconds(999);
  ASSERT_TRUE(write(21).ok());
  EXPECT_EQ(redis_calls(), 1u);
  now += std::chrono::milliseconds(1);
  ASSERT_TRUE(write(22).ok());  // the probe fails: next one 2 s later
  EXPECT_EQ(redis_calls(), 2u);
  now += std::chrono::milliseconds(1999);
  ASSERT_TRUE(write(23).ok());
  EXPECT_EQ(redis_calls(), 2u);
  now += std::chrono::milliseconds(1);
  ASSERT_TRUE(write(24).ok());  // fails again: the wait doubles, but only up to 3 s
  EXPECT_EQ(redis_calls(), 3u);
  redis.FailAll(false);
  now += std::chrono::milliseconds(2999);
  ASSERT_TRUE(write(25).ok());
  EXPECT_EQ(redis_calls(), 3u);
  now += std::chrono::milliseconds(1);
  ASSERT_TRUE(write(26).ok());  // the probe succeeds: closed again
  for (int64_t s = 27; s <= 30; ++s) ASSERT_TRUE(write(s).ok());
  EXPECT_EQ(redis.Persisted(Kind::kEvents), (std::vector<int64_t>{26, 27, 28, 29, 30}));
  EXPECT_EQ(lode.Persisted(Kind::kEvents).size(), 30u);
  EXPECT_EQ(f.events_stored(), 30u);
  EXPECT_EQ(f.counts()[1].stored, 5u);
  EXPECT_EQ(f.counts()[1].dropped, 25u);
  // Closed means closed: the next failure opens it again with the first interval.
  redis.FailAll(true);
  ASSERT_TRUE(write(31).ok());
  ASSERT_TRUE(write(32).ok());
  now += std::chrono::milliseconds(1000);
  ASSERT_TRUE(write(33).ok());
  EXPECT_EQ(redis.calls().size(), 10u);  // 8 before, then 31 and the probe at 33; 32 skipped
}

// A mandatory sink refuses an event it could never store when it arrives (NaN, a map key that is
// not UTF-8), so a buffering policy fails then, not with its whole batch at the flush.
TEST(SinksFanOutTest, MandatoryRedisRefusesUnencodableEventsAtAdmission) {
  FakeSink lode;
  SinkConfig r{"redis", Delivery::kMandatory, {}};
  r.redis.url = "redis://127.0.0.1:1";
  auto mandatory = NewFanOutSink(&lode, {r}, {"r", "s", "c"}, nullptr);
  ASSERT_TRUE(mandatory.ok());
  Event ok = MakeEvent("item", 1);
  EXPECT_TRUE((*mandatory)->CheckEvent(ok).ok());
  Event bad = policy_testing::EventFrom(policy_testing::EnvelopePayload("item", 2, [](auto& p) {
    p.pack_map(1);
    policy_testing::detail::Str(p, "price");
    p.pack_double(std::nan(""));
  }));
  Status refused = (*mandatory)->CheckEvent(bad);
  EXPECT_EQ(refused.message(), "event seq 2 (item): non-finite number at payload.price");
  r.delivery = Delivery::kBestEffort;
  auto best_effort = NewFanOutSink(&lode, {r}, {"r", "s", "c"}, nullptr);
  ASSERT_TRUE(best_effort.ok());
  EXPECT_TRUE((*best_effort)->CheckEvent(bad).ok());
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
