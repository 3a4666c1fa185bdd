#include <gtest/gtest.h>

#include "workflows/close_event.h"
#include "workflows/extraction_params.h"
#include "workflows/run_id.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

TEST(TemporalRunIdTest, MatchesRfc4122Version5) {
  // uuid5(NAMESPACE_DNS, "python.org"), the well-known example value.
  Uuid dns = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
              0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
  EXPECT_EQ(NameBasedUuid(dns, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(TemporalRunIdTest, AttemptRunIdIsStableAndDistinct) {
  EXPECT_EQ(AttemptRunId("run-abc", 1), "4548dfa7-89a8-58ea-b134-be5c1cf11b51");
  EXPECT_EQ(AttemptRunId("run-abc", 1), AttemptRunId("run-abc", 1));
  EXPECT_NE(AttemptRunId("run-abc", 1), AttemptRunId("run-abc", 2));
  EXPECT_NE(AttemptRunId("run-abc", 1), AttemptRunId("run-abd", 1));
}

TEST(TemporalExtractionParamsTest, ParsesEveryField) {
  json in = {{"script", "s.mjs"},
             {"run_id", "r"},
             {"attempt", 2},
             {"parent_run_id", "p"},
             {"job_id", "j"},
             {"job", {{"url", "u"}}},
             {"source", "src"},
             {"category", "cat"},
             {"policy", "buffered"},
             {"flush_mode", "two_phase"},
             {"buffer_events", 10},
             {"buffer_bytes", 100},
             {"flush_count", 3},
             {"flush_interval", "5s"},
             {"storage", {{"backend", "fs"}, {"path", "/d"}, {"dataset", "ds"}}},
             {"proxy", {{"protocol", "http"}, {"host", "h"}, {"port", 8080}}},
             {"timeout", "5m"},
             {"resolve_from", "/x"}};
  auto p = ParseExtractionParams(in);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->attempt, 2);
  EXPECT_EQ(p->parent_run_id, "p");
  EXPECT_EQ(p->storage.dataset, "ds");
  EXPECT_EQ(p->proxy->port, 8080);
  EXPECT_EQ((*p->job)["url"], "u");
  EXPECT_EQ(p->timeout, "5m");
}

TEST(TemporalExtractionParamsTest, ProxyIsAnEndpointOrAPoolSelection) {
  auto pool = ParseExtractionParams(
      {{"proxy", {{"pool", "residential"}, {"strategy", "sticky"}, {"sticky_key", "k"}}}});
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  EXPECT_EQ(pool->proxy->pool, "residential");
  EXPECT_EQ(pool->proxy->sticky_key, "k");
  EXPECT_TRUE(pool->proxy->host.empty());
  // A selection carries no endpoint fields (they are the worker's), and no empty pool name.
  EXPECT_FALSE(ParseExtractionParams({{"proxy", {{"pool", "p"}, {"host", "h"}}}}).ok());
  EXPECT_EQ(ParseExtractionParams({{"proxy", {{"pool", ""}}}}).status().message(),
            "\"proxy.pool\" must not be empty");
}

TEST(TemporalExtractionParamsTest, UnknownFieldsAreErrors) {
  auto p = ParseExtractionParams({{"script", "s"}, {"sourc", "x"}});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "unknown field \"sourc\"");
  auto q = ParseExtractionParams({{"storage", {{"bakend", "fs"}}}});
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(), "unknown field \"storage.bakend\"");
}

TEST(TemporalExtractionParamsTest, TypesAreChecked) {
  EXPECT_EQ(ParseExtractionParams({{"attempt", "2"}}).status().message(),
            "\"attempt\" must be an integer");
  EXPECT_FALSE(ParseExtractionParams({{"timeout", "soon"}}).ok());
  EXPECT_FALSE(
      ParseExtractionParams({{"proxy", {{"protocol", "ftp"}, {"host", "h"}, {"port", 1}}}}).ok());
  EXPECT_FALSE(ParseExtractionParams(json::array()).ok());
}

TEST(TemporalWorkflowParamsTest, DefaultsFollowTheSpec) {
  auto p = ParseExtractionWorkflowParams({{"script", "s"}, {"source", "x"}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->retry.max_attempts, 3);
  EXPECT_EQ(p->retry.initial_interval.count(), 1000);
  EXPECT_EQ(p->retry.backoff_coefficient, 2.0);
  EXPECT_EQ(p->retry.maximum_interval.count(), 300000);
  EXPECT_EQ(p->activity.start_to_close.count(), 4 * 3600 * 1000);
  EXPECT_EQ(p->activity.heartbeat.count(), 60000);
  EXPECT_EQ(p->activity.schedule_to_start.count(), 300000);
  EXPECT_FALSE(p->notify.has_value());
}

TEST(TemporalWorkflowParamsTest, LineageFieldsBelongToTheWorkflow) {
  for (const char* key : {"run_id", "attempt", "parent_run_id"}) {
    json in = {{"script", "s"}};
    in[key] = key == std::string("attempt") ? json(1) : json("x");
    auto p = ParseExtractionWorkflowParams(in);
    ASSERT_FALSE(p.ok()) << key;
    EXPECT_NE(p.status().message().find(key), std::string::npos);
  }
}

TEST(TemporalWorkflowParamsTest, TemplateExcludesWorkflowOnlyFields) {
  auto p = ParseExtractionWorkflowParams(
      {{"script", "s"},
       {"retry", {{"max_attempts", 5}, {"initial_interval", 0.5}}},
       {"activity", {{"heartbeat_timeout", "5s"}}},
       {"notify", {{"url", "http://127.0.0.1:1/x"}, {"headers", {{"A", "b"}}}}}});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->retry.max_attempts, 5);
  EXPECT_EQ(p->retry.initial_interval.count(), 500);
  EXPECT_EQ(p->activity.heartbeat.count(), 5000);
  EXPECT_EQ(p->notify->url, "http://127.0.0.1:1/x");
  EXPECT_EQ(p->run_template, json({{"script", "s"}}));
}

TEST(TemporalWorkflowParamsTest, RetryBoundsAreChecked) {
  EXPECT_FALSE(ParseExtractionWorkflowParams({{"retry", {{"max_attempts", 0}}}}).ok());
  EXPECT_FALSE(ParseExtractionWorkflowParams({{"retry", {{"backoff_coefficient", 0.5}}}}).ok());
  EXPECT_FALSE(ParseExtractionWorkflowParams({{"retry", {{"initial", "1s"}}}}).ok());
  EXPECT_FALSE(ParseExtractionWorkflowParams({{"notify", {{"url", "ftp://x"}}}}).ok());
}

TEST(TemporalWorkflowParamsTest, Backoff) {
  WorkflowRetry r;  // 1s, x2, cap 5m
  EXPECT_EQ(BackoffBefore(r, 2).count(), 1000);
  EXPECT_EQ(BackoffBefore(r, 3).count(), 2000);
  EXPECT_EQ(BackoffBefore(r, 4).count(), 4000);
  EXPECT_EQ(BackoffBefore(r, 30).count(), 300000);
}

TEST(TemporalCloseEventTest, ExitCodesMirrorQuarryRun) {
  EXPECT_EQ(ExitCodeForOutcome("success"), 0);
  EXPECT_EQ(ExitCodeForOutcome("SCRIPT_ERROR"), 1);
  EXPECT_EQ(ExitCodeForOutcome("EXECUTOR_CRASH"), 2);
  EXPECT_EQ(ExitCodeForOutcome("CONFIG_ERROR"), 2);
  EXPECT_EQ(ExitCodeForOutcome("ACTIVITY_TIMEOUT"), 2);
  EXPECT_EQ(ExitCodeForOutcome("POLICY_FAILURE"), 3);
  EXPECT_EQ(ExitCodeForOutcome("version_mismatch"), 3);
}

}  // namespace
}  // namespace quarry::temporal
