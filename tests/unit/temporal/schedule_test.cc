// `quarry-temporal schedule create`: spec and overlap flags, the CreateScheduleRequest whose action
// starts QuarryExtractionWorkflow with the input `start` would send, and the summaries `list`
// prints. No server: only the messages.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <vector>

#include "cli/run_flags.h"
#include "cli/schedule_spec.h"
#include "client/payload.h"

namespace quarry::temporal::cli {
namespace {

namespace enums = ::temporal::api::enums::v1;
using nlohmann::json;

ScheduleSpecFlags Cron(std::vector<std::string> exprs) {
  ScheduleSpecFlags f;
  f.cron = std::move(exprs);
  return f;
}

ScheduleSpecFlags Interval(std::string every, std::string offset = "") {
  ScheduleSpecFlags f;
  f.interval = std::move(every);
  f.offset = std::move(offset);
  return f;
}

TEST(TemporalScheduleSpecTest, IntervalWithOffset) {
  auto spec = BuildScheduleSpec(Interval("1h", "5m"));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  ASSERT_EQ(spec->interval_size(), 1);
  EXPECT_EQ(spec->interval(0).interval().seconds(), 3600);
  EXPECT_EQ(spec->interval(0).phase().seconds(), 300);
  EXPECT_EQ(spec->cron_string_size(), 0);
  EXPECT_EQ(SpecSummary(*spec), "every 1h0m0s offset 5m0s");
}

TEST(TemporalScheduleSpecTest, IntervalWithoutOffsetHasNoPhase) {
  auto spec = BuildScheduleSpec(Interval("30s"));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->interval(0).interval().seconds(), 30);
  EXPECT_FALSE(spec->interval(0).has_phase());
  EXPECT_EQ(SpecSummary(*spec), "every 30s");
}

TEST(TemporalScheduleSpecTest, RefusesBadIntervals) {
  struct Case {
    ScheduleSpecFlags flags;
    std::string message;
  };
  std::vector<Case> cases = {
      {Interval("banana"), "--interval: invalid duration \"banana\""},
      {Interval("0s"), "--interval must be at least 1s"},
      {Interval("-5s"), "--interval must not be negative"},
      {Interval("1500ms"), "--interval must be a whole number of seconds, got 1500ms"},
      {Interval("1m", "1m"), "--offset must be shorter than --interval (1m)"},
      {Interval("1m", "x"), "--offset: invalid duration \"x\""},
  };
  for (const auto& c : cases) {
    auto spec = BuildScheduleSpec(c.flags);
    ASSERT_FALSE(spec.ok()) << c.flags.interval;
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(spec.status().message().rfind(c.message, 0), 0u)
        << spec.status().message() << " vs " << c.message;
  }
}

TEST(TemporalScheduleSpecTest, NeedsExactlyOneKindOfSpec) {
  EXPECT_EQ(BuildScheduleSpec({}).status().message(),
            "a schedule needs --cron \"expr\" or --interval DURATION");
  ScheduleSpecFlags both = Interval("1m");
  both.cron = {"* * * * *"};
  EXPECT_EQ(BuildScheduleSpec(both).status().message(),
            "--cron and --interval are exclusive: give one of them");
  ScheduleSpecFlags offset_only;
  offset_only.cron = {"* * * * *"};
  offset_only.offset = "5s";
  EXPECT_EQ(BuildScheduleSpec(offset_only).status().message(), "--offset needs --interval");
}

TEST(TemporalScheduleSpecTest, CronStringsPassThroughInOrder) {
  std::vector<std::string> ok = {
      "*/5 * * * *",   "0 12 * * MON-FRI 2030",          "30 0 12 1,15 * ? *", "@daily",
      "@every 10m/2m", "CRON_TZ=Europe/Paris 0 9 * * *", "0 3 * * * # nightly"};
  auto spec = BuildScheduleSpec(Cron(ok));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  ASSERT_EQ(spec->cron_string_size(), static_cast<int>(ok.size()));
  for (size_t i = 0; i < ok.size(); ++i) EXPECT_EQ(spec->cron_string(static_cast<int>(i)), ok[i]);
  EXPECT_EQ(spec->interval_size(), 0);
  EXPECT_EQ(SpecSummary(*BuildScheduleSpec(Cron({"*/5 * * * *", "@daily"}))),
            "cron */5 * * * *; cron @daily");
}

TEST(TemporalScheduleSpecTest, RefusesMisshapenCron) {
  EXPECT_EQ(BuildScheduleSpec(Cron({"* * *"})).status().message(),
            "--cron \"* * *\": expected 5 fields (minute hour day-of-month month day-of-week), 6 "
            "(+ year) or 7 (second first), got 3");
  EXPECT_NE(BuildScheduleSpec(Cron({"1 2 3 4 5 6 7 8"})).status().message().find("got 8"),
            std::string::npos);
  EXPECT_EQ(BuildScheduleSpec(Cron({"0 12 * * mon;tue"})).status().message(),
            "--cron \"0 12 * * mon;tue\": unexpected character ';' in field \"mon;tue\"");
  EXPECT_EQ(BuildScheduleSpec(Cron({"   "})).status().message(),
            "--cron \"   \": empty expression");
  EXPECT_EQ(BuildScheduleSpec(Cron({"# only a comment"})).status().message(),
            "--cron \"# only a comment\": empty expression");
}

TEST(TemporalScheduleSpecTest, OverlapPolicyNamesRoundTrip) {
  const std::vector<std::pair<std::string, enums::ScheduleOverlapPolicy>> all = {
      {"skip", enums::SCHEDULE_OVERLAP_POLICY_SKIP},
      {"buffer_one", enums::SCHEDULE_OVERLAP_POLICY_BUFFER_ONE},
      {"buffer_all", enums::SCHEDULE_OVERLAP_POLICY_BUFFER_ALL},
      {"cancel_other", enums::SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER},
      {"terminate_other", enums::SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER},
      {"allow_all", enums::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL}};
  for (const auto& [name, policy] : all) {
    auto parsed = ParseOverlapPolicy(name);
    ASSERT_TRUE(parsed.ok()) << name;
    EXPECT_EQ(*parsed, policy);
    EXPECT_EQ(OverlapPolicyName(policy), name);
  }
  EXPECT_EQ(OverlapPolicyName(enums::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED), "skip");
  EXPECT_EQ(ParseOverlapPolicy("SKIP").status().message(),
            "--overlap \"SKIP\" must be one of skip, buffer_one, buffer_all, cancel_other, "
            "terminate_other, allow_all");
}

// The run flags of `schedule create` are the ones `start` registers, so the scheduled input is the
// one `start` would send.
StatusOr<json> InputFromArgs(std::vector<std::string> args) {
  CLI::App app;
  RunFlags flags;
  AddRunFlags(&app, &flags);
  std::vector<const char*> argv = {"test"};
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return BuildWorkflowInput(flags);
}

// start, batch and schedule create share these flags: an s3 path stays bucket[/prefix].
TEST(TemporalScheduleRequestTest, S3StorageFlagsBecomeTheInputsStorageObject) {
  auto input =
      InputFromArgs({"--script", "/abs/s.mjs", "--source", "shop", "--storage-backend", "s3",
                     "--storage-path", "bucket/pre/fix", "--storage-region", "eu-west-1",
                     "--storage-endpoint", "http://127.0.0.1:9000", "--storage-s3-path-style"});
  ASSERT_TRUE(input.ok()) << input.status().message();
  EXPECT_EQ((*input)["storage"], json::parse(R"({"backend": "s3", "path": "bucket/pre/fix",
                                                 "region": "eu-west-1",
                                                 "endpoint": "http://127.0.0.1:9000",
                                                 "s3_path_style": true})"));
}

// start, batch and schedule create name a pool of the worker; the credentials stay on the worker.
TEST(TemporalScheduleRequestTest, ProxyPoolFlagsBecomeTheInputsProxySelection) {
  auto input =
      InputFromArgs({"--script", "/abs/s.mjs", "--source", "shop", "--proxy-pool", "residential",
                     "--proxy-strategy", "sticky", "--proxy-domain", "shop.example"});
  ASSERT_TRUE(input.ok()) << input.status().message();
  EXPECT_EQ((*input)["proxy"], json::parse(R"({"pool": "residential", "strategy": "sticky",
                                               "domain": "shop.example"})"));
  auto lonely =
      InputFromArgs({"--script", "/abs/s.mjs", "--source", "shop", "--proxy-strategy", "random"});
  ASSERT_FALSE(lonely.ok());
  EXPECT_NE(lonely.status().message().find("need --proxy-pool"), std::string::npos);
}

TEST(TemporalScheduleRequestTest, StorageSyncFlagIsCarriedAndChecked) {
  auto input = InputFromArgs({"--script", "/abs/s.mjs", "--source", "shop", "--storage-backend",
                              "fs", "--storage-path", "/data", "--storage-sync", "never"});
  ASSERT_TRUE(input.ok()) << input.status().message();
  EXPECT_EQ((*input)["storage"]["sync"], "never");
  auto bad = InputFromArgs({"--script", "/abs/s.mjs", "--source", "shop", "--storage-sync", "x"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "\"storage.sync\" must be always or never");
}

TEST(TemporalScheduleRequestTest, CarriesSpecPoliciesStateAndTheWorkflowAction) {
  auto input = InputFromArgs({"--script", "/abs/s.mjs", "--source", "shop", "--storage-backend",
                              "fs", "--storage-path", "/data", "--job", "{\"stale\":true}",
                              "--max-attempts", "2"});
  ASSERT_TRUE(input.ok()) << input.status().message();
  EXPECT_EQ(*input, json::parse(R"({"script": "/abs/s.mjs", "source": "shop",
                                    "storage": {"backend": "fs", "path": "/data"},
                                    "job": {"stale": true}, "retry": {"max_attempts": 2}})"));

  CreateScheduleOptions o;
  o.namespace_name = "ns";
  o.identity = "me@host";
  o.request_id = "req-1";
  o.schedule_id = "nightly";
  o.spec = *BuildScheduleSpec(Interval("5s"));
  o.overlap = *ParseOverlapPolicy("buffer_one");
  o.paused = true;
  o.note = "made by a test";
  o.workflow_id = "nightly-run";
  o.task_queue = "q1";
  o.input = *input;
  wfs::CreateScheduleRequest req = BuildCreateScheduleRequest(o);
  EXPECT_EQ(req.namespace_(), "ns");
  EXPECT_EQ(req.schedule_id(), "nightly");
  EXPECT_EQ(req.identity(), "me@host");
  EXPECT_EQ(req.request_id(), "req-1");
  const auto& s = req.schedule();
  EXPECT_EQ(s.spec().interval(0).interval().seconds(), 5);
  EXPECT_EQ(s.policies().overlap_policy(), enums::SCHEDULE_OVERLAP_POLICY_BUFFER_ONE);
  EXPECT_TRUE(s.state().paused());
  EXPECT_EQ(s.state().notes(), "made by a test");
  ASSERT_TRUE(s.action().has_start_workflow());
  const auto& start = s.action().start_workflow();
  EXPECT_EQ(start.workflow_id(), "nightly-run");
  EXPECT_EQ(start.workflow_type().name(), "QuarryExtractionWorkflow");
  EXPECT_EQ(start.task_queue().name(), "q1");
  EXPECT_EQ(start.task_queue().kind(), enums::TASK_QUEUE_KIND_NORMAL);
  ASSERT_EQ(start.input().payloads_size(), 1);
  EXPECT_EQ(start.input().payloads(0).metadata().at("encoding"), "json/plain");
  auto decoded = DecodeSingleArgument(start.input());
  ASSERT_TRUE(decoded.ok() && decoded->has_value());
  EXPECT_EQ(**decoded, *input);
}

TEST(TemporalScheduleRequestTest, RunFlagsAreCheckedLikeStart) {
  EXPECT_EQ(InputFromArgs({"--source", "s"}).status().message(), "--script is required");
  auto typo = InputFromArgs({"--script", "/s.mjs", "--source", "s", "--max-attempts", "0"});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("max_attempts"), std::string::npos);
}

TEST(TemporalScheduleSummaryTest, CompiledCalendarsReadLikeCron) {
  // What the server returns for "*/5 9-17 * * 1-5" once compiled: every field filled in.
  schedule_pb::ScheduleSpec spec;
  auto* c = spec.add_structured_calendar();
  auto range = [](auto* field, int start, int end, int step) {
    auto* r = field->Add();
    r->set_start(start);
    r->set_end(end);
    r->set_step(step);
  };
  range(c->mutable_second(), 0, 0, 1);
  range(c->mutable_minute(), 0, 59, 5);
  range(c->mutable_hour(), 9, 17, 1);
  range(c->mutable_day_of_month(), 1, 31, 1);
  range(c->mutable_month(), 1, 12, 1);
  range(c->mutable_day_of_week(), 1, 5, 1);
  c->set_comment("office hours");
  EXPECT_EQ(SpecSummary(spec), "calendar 0 */5 9-17 * * 1-5 # office hours");

  range(c->mutable_year(), 2030, 0, 0);
  range(c->mutable_day_of_week(), 0, 0, 0);
  EXPECT_EQ(SpecSummary(spec), "calendar 0 */5 9-17 * * 1-5,0 2030 # office hours");

  schedule_pb::ScheduleSpec none;
  EXPECT_EQ(SpecSummary(none), "(no times)");
}

TEST(TemporalScheduleSummaryTest, ListEntryJson) {
  schedule_pb::ScheduleListEntry e;
  e.set_schedule_id("every-5s");
  auto* info = e.mutable_info();
  *info->mutable_spec() = *BuildScheduleSpec(Interval("5s"));
  info->mutable_workflow_type()->set_name("QuarryExtractionWorkflow");
  info->set_paused(true);
  info->set_notes("n");
  info->add_future_action_times()->set_seconds(1'700'000'005);
  auto* done = info->add_recent_actions();
  done->mutable_schedule_time()->set_seconds(1'700'000'000);
  done->mutable_actual_time()->set_seconds(1'700'000'000);
  done->mutable_start_workflow_result()->set_workflow_id("every-5s-2023-11-14T22:13:20Z");
  done->mutable_start_workflow_result()->set_run_id("r1");
  EXPECT_EQ(ScheduleListEntryJson(e), json::parse(R"({
    "schedule_id": "every-5s", "spec": "every 5s", "workflow_type": "QuarryExtractionWorkflow",
    "paused": true, "note": "n", "next_action_times": ["2023-11-14T22:13:25Z"],
    "recent_actions": [{"schedule_time": "2023-11-14T22:13:20Z",
                        "actual_time": "2023-11-14T22:13:20Z",
                        "workflow_id": "every-5s-2023-11-14T22:13:20Z", "run_id": "r1"}]})"));
}

}  // namespace
}  // namespace quarry::temporal::cli
