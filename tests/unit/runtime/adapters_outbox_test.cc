// The notification outbox (cli-and-integrations.md §8.6, docs/outbox.md) on an in-memory store:
// pending before the first attempt, delivered after success, latest record wins, re-drive by
// target and age. Against real servers: tests/e2e/test_integrations.py.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "quarry/adapters/outbox.h"

namespace quarry::adapters {
namespace {

class FakeAdapter final : public Adapter {
 public:
  Status Publish(const std::string& json) override {
    sent.push_back(json);
    return fail ? UnavailableError("down") : Status::Ok();
  }
  std::string Target() const override { return "fake"; }
  std::vector<std::string> sent;
  bool fail = false;
};

RunCompleted Notification(const std::string& run_id) {
  RunCompleted n;
  n.run_id = run_id;
  n.source = "shop eu";
  n.category = "c";
  n.day = "2026-03-22";
  n.outcome = "success";
  n.timestamp = "2026-03-22T09:15:02Z";
  return n;
}

AdapterConfig Webhook(const std::string& url) {
  AdapterConfig c;
  c.type = "webhook";
  c.url = url;
  return c;
}

TEST(AdaptersOutboxTest, TargetHasNoCredentials) {
  EXPECT_EQ(OutboxTarget(Webhook("https://u:pw@h/x?token=t")), "webhook https://***@h/x?***");
  AdapterConfig r;
  r.type = "redis";
  r.url = "redis://:pw@h:6379";
  EXPECT_EQ(OutboxTarget(r), "redis redis://***@h:6379 channel quarry:run_completed");
}

TEST(AdaptersOutboxTest, DeliveredRunsAreNotPending) {
  auto store = lode::NewMemStore();
  Outbox outbox(store, "quarry");
  FakeAdapter ok;
  auto cfg = Webhook("http://h/hook");
  ASSERT_TRUE(DeliverWithOutbox(&outbox, &ok, cfg, Notification("r1"), nullptr).ok());
  auto pending = outbox.Pending();
  ASSERT_TRUE(pending.ok()) << pending.status().message();
  EXPECT_TRUE(pending->empty());
  auto keys = store->List("datasets/quarry/partitions/");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_TRUE((*keys)[0].starts_with(
      "datasets/quarry/partitions/source=shop%20eu/category=c/day=2026-03-22/run_id=r1/"
      "event_type=adapter_outbox/"));
  EXPECT_TRUE((*keys)[0].ends_with("-notification_pending.json"));
  EXPECT_TRUE((*keys)[1].ends_with("-delivered.json"));
  auto rec = nlohmann::json::parse(*store->Get((*keys)[0]));
  EXPECT_EQ(rec["notification"], RunCompletedJson(Notification("r1")));
  EXPECT_EQ(rec["target"], "webhook http://h/hook");
}

TEST(AdaptersOutboxTest, FailedDeliveryStaysPendingAndIsRedrivenForItsTargetOnly) {
  auto store = lode::NewMemStore();
  Outbox outbox(store, "quarry");
  FakeAdapter down;
  down.fail = true;
  auto cfg = Webhook("http://h/hook");
  EXPECT_FALSE(DeliverWithOutbox(&outbox, &down, cfg, Notification("r1"), nullptr).ok());
  auto pending = outbox.Pending();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].run_id, "r1");
  EXPECT_EQ((*pending)[0].source, "shop eu");

  FakeAdapter up;
  auto other = Redrive(&outbox, &up, Webhook("http://other/"), std::nullopt, nullptr);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->skipped, 1);
  EXPECT_EQ(other->left_pending, 1);
  EXPECT_TRUE(up.sent.empty());

  // Too old for the automatic re-drive (max age 0 here).
  auto old = Redrive(&outbox, &up, cfg, Duration(0), nullptr);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->skipped, 1);

  auto r = Redrive(&outbox, &up, cfg, std::chrono::hours(24), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->delivered, 1);
  EXPECT_EQ(r->left_pending, 0);
  ASSERT_EQ(up.sent.size(), 1u);
  EXPECT_EQ(up.sent[0], down.sent[0]);  // byte for byte
  EXPECT_TRUE(outbox.Pending()->empty());
}

// Slack/Discord-style webhooks carry their secret in the path: records and warnings show a
// redacted form, yet two such webhooks on one host stay two targets on re-delivery.
TEST(AdaptersOutboxTest, PathTokensAreNotStoredYetTargetsStayApart) {
  auto store = lode::NewMemStore();
  Outbox outbox(store, "quarry");
  const std::string token_a = "AAAAAAAAAAAAAAAAAAAAAAAA", token_b = "BBBBBBBBBBBBBBBBBBBBBBBB";
  auto cfg_a = Webhook("https://hooks.slack.com/services/T000/B000/" + token_a);
  auto cfg_b = Webhook("https://hooks.slack.com/services/T000/B000/" + token_b);
  EXPECT_EQ(OutboxTarget(cfg_a), "webhook https://hooks.slack.com/services/***");
  FakeAdapter down;
  down.fail = true;
  std::vector<std::string> warnings;
  auto warn = [&](const std::string& w) { warnings.push_back(w); };
  EXPECT_FALSE(DeliverWithOutbox(&outbox, &down, cfg_a, Notification("r1"), warn).ok());

  auto keys = store->List("datasets/quarry/partitions/");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  const std::string record = *store->Get((*keys)[0]);
  EXPECT_EQ(record.find(token_a), std::string::npos) << record;
  EXPECT_EQ(record.find("T000"), std::string::npos) << record;

  FakeAdapter up;
  auto other = Redrive(&outbox, &up, cfg_b, std::nullopt, warn);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->skipped, 1);
  EXPECT_TRUE(up.sent.empty()) << "delivered to the other webhook";
  auto same = Redrive(&outbox, &up, cfg_a, std::nullopt, warn);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->delivered, 1);
  for (const auto& w : warnings) EXPECT_EQ(w.find(token_a), std::string::npos) << w;
}

// Records written before target_key existed are still matched by their redacted target.
TEST(AdaptersOutboxTest, RecordsWithoutTargetKeyMatchByTarget) {
  auto store = lode::NewMemStore();
  ASSERT_TRUE(store
                  ->Put("datasets/quarry/partitions/source=s/category=c/day=2026-03-22/run_id=r0/"
                        "event_type=adapter_outbox/00000000000000000001-notification_pending.json",
                        R"({"record_kind":"adapter_outbox","state":"notification_pending",)"
                        R"("run_id":"r0","source":"s","category":"c","day":"2026-03-22",)"
                        R"("created_at":"2026-03-22T09:15:02Z","adapter_type":"webhook",)"
                        R"("target":"webhook http://h/hook","notification":"{}"})")
                  .ok());
  Outbox outbox(store, "quarry");
  FakeAdapter up;
  auto r = Redrive(&outbox, &up, Webhook("http://h/hook"), std::nullopt, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->delivered, 1);
}

// Found by reading after fuzz findings: {"state": 5} made nlohmann's value() throw, and
// `quarry outbox list` terminated.
TEST(AdaptersOutboxTest, FieldsOfTheWrongTypeDoNotThrow) {
  auto store = lode::NewMemStore();
  ASSERT_TRUE(store
                  ->Put("datasets/quarry/partitions/source=s/category=c/day=2026-03-22/run_id=r0/"
                        "event_type=adapter_outbox/00000000000000000001-notification_pending.json",
                        R"({"state":5,"run_id":["x"],"notification":{}})")
                  .ok());
  Outbox outbox(store, "quarry");
  auto pending = outbox.Pending();
  ASSERT_TRUE(pending.ok()) << pending.status().message();
  EXPECT_TRUE(pending->empty());
}

TEST(AdaptersOutboxTest, EmptyDatasetHasNothingPending) {
  Outbox outbox(lode::NewMemStore(), "quarry");
  auto pending = outbox.Pending();
  ASSERT_TRUE(pending.ok()) << pending.status().message();
  EXPECT_TRUE(pending->empty());
}

}  // namespace
}  // namespace quarry::adapters
