// Selection rules of storage-and-policies.md §8.4–§8.5 and the endpoint health rules of
// docs/proxies.md, on in-memory state.
#include "quarry/proxy/selection.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace quarry::proxy {
namespace {

Pool MakePool(const std::string& strategy, int n) {
  Pool p;
  p.name = "p";
  p.strategy = strategy;
  for (int i = 0; i < n; ++i) {
    p.endpoints.push_back({"http", "10.0.0." + std::to_string(i + 1), 3128, "u", "secret"});
  }
  return p;
}

// Deterministic "random": always the first candidate.
const Random kFirst = [](uint64_t) -> uint64_t { return 0; };

int Commit(const Pool& pool, PoolState* s, const SelectionRequest& req = {}, int64_t now = 1000,
           const HealthRules& rules = {}, const Random& rnd = kFirst) {
  auto sel = Select(pool, s, req, true, now, rules, rnd);
  EXPECT_TRUE(sel.ok()) << sel.status().message();
  return sel.ok() ? sel->index : -1;
}

TEST(ProxySelection, RoundRobinAdvancesOnCommitOnly) {
  Pool pool = MakePool("round_robin", 3);
  PoolState s = FreshState(pool);
  auto peek = Select(pool, &s, {}, false, 0, {}, kFirst);
  ASSERT_TRUE(peek.ok());
  EXPECT_EQ(peek->index, 0);
  EXPECT_EQ(s.rr_counter, 0u);  // a peek changes nothing
  EXPECT_EQ(s.requests, 0u);
  EXPECT_EQ(Commit(pool, &s), 0);
  EXPECT_EQ(Commit(pool, &s), 1);
  EXPECT_EQ(Commit(pool, &s), 2);
  EXPECT_EQ(Commit(pool, &s), 0);
  EXPECT_EQ(s.requests, 4u);
  ASSERT_TRUE(s.last_used_at_ms);
  EXPECT_EQ(peek->endpoint.password, "secret");  // the run request needs it
}

TEST(ProxySelection, RotationSkipsTheEndpointOnceThenClears) {
  Pool pool = MakePool("round_robin", 3);
  PoolState s = FreshState(pool);
  EXPECT_EQ(Commit(pool, &s), 0);
  Rotate(&s, 1, "");  // the next would be 1
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(Commit(pool, &s), 2);
  EXPECT_FALSE(s.avoid);
  EXPECT_EQ(Commit(pool, &s), 0);
}

TEST(ProxySelection, SingleEndpointRotationWarnsAndReturnsIt) {
  Pool pool = MakePool("random", 1);
  PoolState s = FreshState(pool);
  Rotate(&s, 0, "");
  auto sel = Select(pool, &s, {}, true, 0, {}, SystemRandom());
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(sel->index, 0);
  ASSERT_EQ(sel->warnings.size(), 1u);
  EXPECT_NE(sel->warnings[0].find("cannot rotate"), std::string::npos);
}

TEST(ProxySelection, RecencyRingExcludesRecentThenFallsBackToOldest) {
  Pool pool = MakePool("random", 3);
  pool.recency_window = 2;
  PoolState s = FreshState(pool);
  EXPECT_EQ(Commit(pool, &s), 0);
  EXPECT_EQ(Commit(pool, &s), 1);  // 0 is recent
  EXPECT_EQ(Commit(pool, &s), 2);  // 0 and 1 are recent
  EXPECT_EQ(s.ring, (std::vector<int>{1, 2}));
  EXPECT_EQ(Commit(pool, &s), 0);
  // A window as large as the pool excludes everything: the oldest ring entry.
  pool.recency_window = 3;
  PoolState full = FreshState(pool);
  full.ring = {2, 0, 1};
  EXPECT_EQ(Commit(pool, &full), 2);
  // A peek leaves the ring alone.
  PoolState before = full;
  ASSERT_TRUE(Select(pool, &full, {}, false, 0, {}, kFirst).ok());
  EXPECT_EQ(full.ring, before.ring);
}

TEST(ProxySelection, RandomIsUniformEnough) {
  Pool pool = MakePool("random", 4);
  PoolState s = FreshState(pool);
  std::vector<int> seen(4, 0);
  Random rnd = SystemRandom();
  for (int i = 0; i < 4000; ++i) ++seen[Commit(pool, &s, {}, 0, {}, rnd)];
  for (int c : seen) EXPECT_GT(c, 800);
}

TEST(ProxySelection, StickyKeysTtlAndPrecedence) {
  Pool pool = MakePool("sticky", 3);
  pool.sticky = Sticky{"domain", 1000};
  PoolState s = FreshState(pool);
  Random rnd = SystemRandom();
  SelectionRequest by_domain;
  by_domain.domain = "shop.example";
  const int first = Commit(pool, &s, by_domain, 0, {}, rnd);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Commit(pool, &s, by_domain, 500, {}, rnd), first);
  EXPECT_EQ(s.sticky_map.at("shop.example").expires_at_ms, 1000);
  // Expired: deleted and assigned again, with a new expiry.
  Commit(pool, &s, by_domain, 5000, {}, kFirst);
  EXPECT_EQ(s.sticky_map.at("shop.example").expires_at_ms, 6000);
  // An explicit key beats the scope.
  SelectionRequest explicit_key = by_domain;
  explicit_key.sticky_key = "k";
  Commit(pool, &s, explicit_key, 5000, {}, rnd);
  EXPECT_TRUE(s.sticky_map.count("k"));
  // No key at all.
  SelectionRequest none;
  auto err = Select(pool, &s, none, true, 0, {}, rnd);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().message(), "sticky selection requires a sticky key");
  // Without a sticky block the job id is the key.
  Pool jobs = MakePool("sticky", 3);
  PoolState js = FreshState(jobs);
  SelectionRequest job;
  job.job_id = "job-1";
  const int j = Commit(jobs, &js, job, 0, {}, rnd);
  EXPECT_EQ(Commit(jobs, &js, job, 0, {}, rnd), j);
  EXPECT_FALSE(js.sticky_map.at("job-1").expires_at_ms);
}

TEST(ProxySelection, RotationForgetsTheStickyEntryAndMovesAway) {
  Pool pool = MakePool("sticky", 2);
  PoolState s = FreshState(pool);
  SelectionRequest job;
  job.job_id = "j";
  auto first = Select(pool, &s, job, true, 0, {}, SystemRandom());
  ASSERT_TRUE(first.ok());
  Rotate(&s, first->index, first->sticky_key);
  EXPECT_FALSE(s.sticky_map.count("j"));
  for (int i = 0; i < 5; ++i) {
    PoolState copy = s;
    EXPECT_NE(Commit(pool, &copy, job, 0, {}, SystemRandom()), first->index);
  }
}

TEST(ProxySelection, UnknownStrategyOverride) {
  Pool pool = MakePool("random", 2);
  PoolState s = FreshState(pool);
  SelectionRequest req;
  req.strategy = "fastest";
  auto sel = Select(pool, &s, req, true, 0, {}, kFirst);
  ASSERT_FALSE(sel.ok());
  EXPECT_EQ(sel.status().message(), "unknown strategy \"fastest\"");
}

TEST(ProxyHealth, BenchedAfterConsecutiveFailuresUntilTheCooldownEnds) {
  Pool pool = MakePool("round_robin", 3);
  PoolState s = FreshState(pool);
  HealthRules rules{2, 10'000};
  RecordOutcome(&s, 1, true, 100, rules);
  EXPECT_FALSE(Benched(s, 1, 100));
  RecordOutcome(&s, 1, false, 200, rules);  // a success clears the count
  RecordOutcome(&s, 1, true, 300, rules);
  EXPECT_FALSE(Benched(s, 1, 300));
  RecordOutcome(&s, 1, true, 400, rules);
  EXPECT_TRUE(Benched(s, 1, 400));
  std::set<int> chosen;
  for (int i = 0; i < 6; ++i) chosen.insert(Commit(pool, &s, {}, 5000, rules));
  EXPECT_EQ(chosen, (std::set<int>{0, 2}));
  EXPECT_FALSE(Benched(s, 1, 10'400));
  std::set<int> later;
  for (int i = 0; i < 3; ++i) later.insert(Commit(pool, &s, {}, 10'400, rules));
  EXPECT_EQ(later.size(), 3u);
}

TEST(ProxyHealth, EveryEndpointBenchedStillSelects) {
  Pool pool = MakePool("random", 2);
  PoolState s = FreshState(pool);
  HealthRules rules{1, 60'000};
  RecordOutcome(&s, 0, true, 0, rules);
  RecordOutcome(&s, 1, true, 0, rules);
  auto sel = Select(pool, &s, {}, true, 10, rules, SystemRandom());
  ASSERT_TRUE(sel.ok());
}

TEST(ProxyState, JsonRoundTripAndFingerprintReset) {
  Pool pool = MakePool("sticky", 2);
  pool.sticky = Sticky{"job", 500};
  PoolState s = FreshState(pool);
  SelectionRequest job;
  job.job_id = "j";
  Commit(pool, &s, job, 0, {}, kFirst);
  Rotate(&s, 1, "");
  RecordOutcome(&s, 0, true, 7, {});
  auto back = StateFromJson(StateToJson(s));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(StateToJson(*back), StateToJson(s));
  EXPECT_EQ(StateToJson(s).dump().find("secret"), std::string::npos);
  EXPECT_FALSE(ResetIfChanged(pool, &*back));
  pool.endpoints[1].port = 3129;
  EXPECT_TRUE(ResetIfChanged(pool, &*back));
  EXPECT_EQ(back->requests, 0u);
  EXPECT_TRUE(back->sticky_map.empty());
}

TEST(ProxyPool, ValidationTexts) {
  auto err = [](Pool p) { return ValidatePool(p).status.message(); };
  Pool ok = MakePool("random", 1);
  EXPECT_TRUE(ValidatePool(ok).status.ok());
  Pool p = ok;
  p.name = "";
  EXPECT_EQ(err(p), "proxy pool name must not be empty");
  p = ok;
  p.strategy = "fast";
  EXPECT_EQ(err(p),
            "pool \"p\": invalid strategy \"fast\" (expected round_robin, random or sticky)");
  p = ok;
  p.endpoints.clear();
  EXPECT_EQ(err(p), "pool \"p\": at least one endpoint is required");
  p = ok;
  p.endpoints[0].port = 70000;
  EXPECT_EQ(err(p), "pool \"p\" endpoint 0: port 70000 is out of range 1..65535");
  p = ok;
  p.endpoints[0].password = "";
  EXPECT_EQ(err(p), "pool \"p\" endpoint 0: username and password must be set together");
  p = ok;
  p.endpoints[0].protocol = "ftp";
  EXPECT_NE(err(p).find("invalid protocol \"ftp\""), std::string::npos);
  p = ok;
  p.sticky = Sticky{"planet", std::nullopt};
  EXPECT_NE(err(p).find("invalid sticky scope"), std::string::npos);
  p = ok;
  p.sticky = Sticky{"job", 0};
  EXPECT_NE(err(p).find("ttl_ms must be greater than 0"), std::string::npos);
  p = ok;
  p.recency_window = 0;
  EXPECT_NE(err(p).find("recency_window must be greater than 0"), std::string::npos);
  // Soft rules.
  Pool big = MakePool("round_robin", 51);
  big.recency_window = 3;
  big.endpoints[0].protocol = "socks5";
  PoolCheck c = ValidatePool(big);
  EXPECT_TRUE(c.status.ok());
  EXPECT_EQ(c.warnings.size(), 3u);
}

TEST(ProxyPool, FingerprintAndRedaction) {
  Pool a = MakePool("random", 2);
  Pool b = a;
  b.endpoints[0].password = "other";
  EXPECT_EQ(PoolFingerprint(a), PoolFingerprint(b));  // the password is not part of it
  b.endpoints[0].username = "v";
  EXPECT_NE(PoolFingerprint(a), PoolFingerprint(b));
  EXPECT_EQ(EndpointKey(a.endpoints[0]), "http:10.0.0.1:3128:u");
  EXPECT_FALSE(Redacted(a.endpoints[0]).password);
  EXPECT_EQ(Describe(a.endpoints[0]), "http://10.0.0.1:3128 (user u)");
}

TEST(ProxyPool, LegacyJson) {
  auto pools = ParsePoolsJson(
      R"([{"name":"a","strategy":"sticky","endpoints":[{"protocol":"http","host":"h","port":1,)"
      R"("username":"u","password":"p"}],"sticky":{"scope":"job","ttl_ms":5}}])");
  ASSERT_TRUE(pools.ok()) << pools.status().message();
  ASSERT_EQ(pools->size(), 1u);
  EXPECT_EQ((*pools)[0].sticky->ttl_ms, 5);
  EXPECT_EQ((*pools)[0].endpoints[0].password, "p");
  auto bad = ParsePoolsJson(R"([{"name":"a","endpoints":[{"port":"x"}]}])");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "proxy config: [0].endpoints[0].port must be an integer");
  EXPECT_FALSE(ParsePoolsJson(R"({"name":"a"})").ok());
}

}  // namespace
}  // namespace quarry::proxy
