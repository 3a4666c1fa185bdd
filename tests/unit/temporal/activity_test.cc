// RunQuarryExtraction's mapping of run outcomes to Temporal (the table of temporal.md §3), its
// params -> RunSpec translation, invalid params, and the orphan guard's process kill.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <fstream>

#include <cerrno>
#include <filesystem>

#include "quarry/orphan_guard.h"
#include "worker/extraction_activity.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

run::RunResult Result(run::Outcome outcome) {
  run::RunResult r;
  r.meta = {"run-2", 2, "job-1", "run-1"};
  r.outcome = outcome;
  r.message = "msg";
  r.duration_ms = 1234;
  r.event_count = 7;
  r.policy_stats.events_persisted = 6;
  r.policy_stats.events_dropped = 1;
  r.artifacts.committed = 2;
  return r;
}

TEST(TemporalExtractionActivityTest, SuccessCompletesWithTheResult) {
  ActivityOutcome o = MapRunResult(Result(run::Outcome::kSuccess), "/data/datasets/quarry");
  ASSERT_EQ(o.kind, ActivityOutcome::Kind::kCompleted);
  EXPECT_EQ(o.result, json({{"outcome", "success"},
                            {"run_id", "run-2"},
                            {"attempt", 2},
                            {"job_id", "job-1"},
                            {"parent_run_id", "run-1"},
                            {"duration_ms", 1234},
                            {"event_count", 7},
                            {"events_persisted", 6},
                            {"events_dropped", 1},
                            {"artifacts_committed", 2},
                            {"storage_path", "/data/datasets/quarry"},
                            {"message", "msg"}}));
}

TEST(TemporalExtractionActivityTest, FailuresFollowTheTable) {
  struct Row {
    run::Outcome outcome;
    const char* type;
    bool non_retryable;
    const char* name;
  };
  for (const Row& row :
       {Row{run::Outcome::kScriptError, "SCRIPT_ERROR", false, "script_error"},
        Row{run::Outcome::kExecutorCrash, "EXECUTOR_CRASH", false, "executor_crash"},
        Row{run::Outcome::kPolicyFailure, "POLICY_FAILURE", true, "policy_failure"},
        Row{run::Outcome::kVersionMismatch, "VERSION_MISMATCH", true, "version_mismatch"}}) {
    run::RunResult r = Result(row.outcome);
    r.error_type = "TypeError";
    ActivityOutcome o = MapRunResult(r, "/d");
    ASSERT_EQ(o.kind, ActivityOutcome::Kind::kFailed) << row.type;
    EXPECT_EQ(o.error.type, row.type);
    EXPECT_EQ(o.error.non_retryable, row.non_retryable) << row.type;
    EXPECT_EQ(o.error.message, "msg");
    ASSERT_TRUE(o.error.details.has_value());
    EXPECT_EQ((*o.error.details)["outcome"], row.name);
    EXPECT_EQ((*o.error.details)["run_id"], "run-2");
    EXPECT_EQ((*o.error.details)["error_type"], "TypeError");
  }
}

TEST(TemporalExtractionActivityTest, InvalidParamsAreNonRetryableConfigErrors) {
  run::CancelToken cancel;
  RunProgress progress;
  ActivityOutcome o = RunExtraction(json{{"scrpt", "x"}}, {}, &cancel, &progress);
  ASSERT_EQ(o.kind, ActivityOutcome::Kind::kFailed);
  EXPECT_EQ(o.error.type, "CONFIG_ERROR");
  EXPECT_TRUE(o.error.non_retryable);
  EXPECT_EQ((*o.error.details)["outcome"], "config_error");

  // Shape is fine, but the run-level validation of `quarry run` refuses it (lineage).
  const std::string script = ::testing::TempDir() + "activity_test_script.mjs";
  std::ofstream(script) << "export default async () => {};\n";
  json in = {{"script", script},
             {"run_id", "r2"},
             {"attempt", 2},
             {"source", "s"},
             {"storage", {{"backend", "fs"}, {"path", ::testing::TempDir()}}}};
  o = RunExtraction(in, {}, &cancel, &progress);
  ASSERT_EQ(o.kind, ActivityOutcome::Kind::kFailed);
  EXPECT_EQ(o.error.type, "CONFIG_ERROR");
  EXPECT_NE(o.error.message.find("parent-run-id"), std::string::npos) << o.error.message;
  EXPECT_EQ((*o.error.details)["run_id"], "r2");

  o = RunExtraction(std::nullopt, {}, &cancel, &progress);
  EXPECT_EQ(o.error.type, "CONFIG_ERROR");

  in = {{"script", script},
        {"run_id", "r1"},
        {"source", "s"},
        {"storage", {{"backend", "fs"}, {"path", "/nonexistent/quarry/dir"}}}};
  o = RunExtraction(in, {}, &cancel, &progress);
  EXPECT_EQ(o.error.type, "CONFIG_ERROR");
  EXPECT_NE(o.error.message.find("does not exist"), std::string::npos) << o.error.message;

  // A script the worker does not have: refused before anything starts, not retried.
  in["script"] = "/nonexistent/quarry/script.mjs";
  in["storage"]["path"] = ::testing::TempDir();
  o = RunExtraction(in, {}, &cancel, &progress);
  EXPECT_EQ(o.error.type, "CONFIG_ERROR");
  EXPECT_TRUE(o.error.non_retryable);
  EXPECT_EQ(o.error.message, "script not found: /nonexistent/quarry/script.mjs");
  std::remove(script.c_str());
}

TEST(TemporalExtractionActivityTest, ParamsBecomeTheSpecOfQuarryRun) {
  ExtractionParams p;
  p.script = "s.mjs";
  p.run_id = "r";
  p.attempt = 2;
  p.parent_run_id = "p";
  p.job = json{{"a", 1}};
  p.source = "src";
  p.storage.backend = "fs";
  p.storage.path = "/d";
  p.storage.dataset = "ds";
  p.timeout = "5m";
  WorkerRunSettings w;
  w.executor = "/x/executor.mjs";
  w.browser_ws_endpoint = "ws://b";
  run::RunSpec s = ToRunSpec(p, w);
  EXPECT_EQ(s.script, "s.mjs");
  EXPECT_EQ(s.attempt, 2);
  EXPECT_EQ(s.parent_run_id, "p");
  EXPECT_EQ(*s.job, R"({"a":1})");
  EXPECT_FALSE(s.job_file.has_value());
  EXPECT_EQ(s.storage_dataset, "ds");
  EXPECT_EQ(s.executor, "/x/executor.mjs");
  EXPECT_EQ(s.browser_ws_endpoint, "ws://b");
  EXPECT_EQ(s.timeout, "5m");
}

TEST(TemporalExtractionActivityTest, S3StorageSettingsReachTheRunSpec) {
  ExtractionParams p;
  p.storage.backend = "s3";
  p.storage.path = "bucket/pre";
  p.storage.region = "eu-west-1";
  p.storage.endpoint = "http://127.0.0.1:9000";
  p.storage.s3_path_style = true;
  run::RunSpec s = ToRunSpec(p, WorkerRunSettings{});
  EXPECT_EQ(s.storage_backend, "s3");
  EXPECT_EQ(s.storage_path, "bucket/pre");
  EXPECT_EQ(s.storage_region, "eu-west-1");
  EXPECT_EQ(s.storage_endpoint, "http://127.0.0.1:9000");
  EXPECT_TRUE(s.storage_s3_path_style);
  EXPECT_EQ(s.storage_sync, "always");
}

TEST(TemporalExtractionActivityTest, StorageSyncReachesTheRunSpecAndIsChecked) {
  auto p = ParseExtractionParams(json::parse(
      R"({"script": "/s.mjs", "source": "s", "run_id": "r", "attempt": 1,
          "storage": {"backend": "fs", "path": "/d", "sync": "never"}})"));
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(ToRunSpec(*p, WorkerRunSettings{}).storage_sync, "never");
  auto bad = ParseExtractionParams(json::parse(
      R"({"script": "/s.mjs", "source": "s", "run_id": "r", "attempt": 1,
          "storage": {"backend": "fs", "path": "/d", "sync": "sometimes"}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "\"storage.sync\" must be always or never");
}

TEST(TemporalOrphanGuardTest, KillsProcessesCarryingTheToken) {
  const std::string token = "test" + std::to_string(::getpid());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string env = std::string(process::kGuardTokenEnv) + "=" + token;
    char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
    char* envp[] = {env.data(), nullptr};
    ::execve("/bin/sleep", argv, envp);
    ::_exit(127);
  }
  ::usleep(200'000);  // let exec replace the environment
  EXPECT_GE(process::KillGuardedProcesses(token, 5), 1);
  // The tree kill reaps the zombies of its own children; either way the child is gone, killed.
  int status = 0;
  const pid_t waited = ::waitpid(child, &status, 0);
  if (waited == child) {
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
  } else {
    EXPECT_EQ(errno, ECHILD);
  }
  EXPECT_NE(::kill(child, 0), 0);
}

}  // namespace
}  // namespace quarry::temporal
