// Conformance gap-fillers at the runtime layer (docs/conformance.md maps every checklist item):
//   executor-contract §23 item 58 — no proxy password in proxy_used, the report, the logs, the
//     stored dataset (driven through RunConfig.proxy: `quarry run` has no proxy flags yet);
//   item 46 (D11.2) — the outcome's stack is the run_result's stack, through real ingestion;
//   item 28 — a foreign file_write over 8 MiB is fatal (exactly 8 MiB is not);
//   storage-and-policies §10 item 22 — the metrics record keeps the run's start day even when it
//     is written after midnight; item 35 — its optional keys.
#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "frames.h"
#include "lode/mem_store.h"
#include "quarry/ipc/codec.h"
#include "quarry/log.h"
#include "quarry/run/orchestrator.h"
#include "quarry/run/report.h"
#include "replay_executor.h"
#include "run/ingestor.h"
#include "test_frames.h"

namespace quarry::run {
namespace {

namespace fs = std::filesystem;
using policy_testing::Framed;
using quarry::testing::Envelope;
using quarry::testing::FileWriteFrame;
using quarry::testing::Packer;

const fs::path kFakes = fs::path(QUARRY_SOURCE_DIR) / "tests" / "e2e" / "fakes";

std::string UniqueSecret(const char* prefix) {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return std::string(prefix) + buf;
}

// Runs `config` with the log threshold at debug and returns the result plus everything the runtime
// logged on stderr during the run and the metrics write.
struct CapturedRun {
  RunResult result;
  std::string logs;
  Status metrics;
};

CapturedRun RunCapturingLogs(RunConfig config) {
  const log::Level saved = log::GetLevel();
  log::SetLevel(log::Level::kDebug);
  ::testing::internal::CaptureStderr();
  RunOrchestrator orch(std::move(config));
  CancelToken cancel;
  CapturedRun out;
  out.result = orch.Execute(&cancel);
  out.metrics = orch.PersistMetrics(out.result);
  out.logs = ::testing::internal::GetCapturedStderr();
  log::SetLevel(saved);
  return out;
}

// ---------------------------------------------------------------------------------------------
// executor-contract §23 item 58, storage-and-policies §8.8.

class ProxyRedactionTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ProxyRedactionTest, PasswordAppearsNowhereButOnTheExecutorsStdin) {
  const std::string mode = GetParam();
  const std::string password = UniqueSecret("pw-conf-");
  auto store = std::make_shared<lode::MemStore>();
  RunConfig c;
  c.executor_path = (kFakes / "proxy_run.py").string();
  c.script_path = mode;  // the fake's mode (it ignores scripts)
  c.meta.run_id = "proxy-run-1";
  c.meta.job_id = "proxy-job";
  c.source = "shop";
  c.category = "products";
  c.store = store;
  c.policy.name = "strict";
  c.proxy = ProxyEndpoint{"http", "127.0.0.1", 3128, "proxy-user", password};

  CapturedRun run = RunCapturingLogs(std::move(c));
  const RunResult& r = run.result;
  ASSERT_EQ(r.outcome, Outcome::kSuccess) << r.message << "\n" << r.stderr_text << run.logs;
  ASSERT_TRUE(run.metrics.ok()) << run.metrics.ToString();
  // The executor did receive the password (by design, on stdin only).
  EXPECT_NE(r.stderr_text.find("password received (" + std::to_string(password.size()) + " chars)"),
            std::string::npos)
      << r.stderr_text;

  // proxy_used: protocol, host, port, username; never a password.
  ASSERT_TRUE(r.proxy_used.has_value());
  EXPECT_FALSE(r.proxy_used->password.has_value());
  EXPECT_EQ(r.proxy_used->protocol, "http");
  EXPECT_EQ(r.proxy_used->host, "127.0.0.1");
  EXPECT_EQ(r.proxy_used->port, 3128);
  EXPECT_EQ(r.proxy_used->username, "proxy-user");

  const std::string report = ReportJson(r, r.ExitCode());
  const auto parsed = nlohmann::json::parse(report);
  ASSERT_TRUE(parsed.contains("proxy_used")) << report;
  EXPECT_EQ(parsed["proxy_used"], (nlohmann::json{{"protocol", "http"},
                                                  {"host", "127.0.0.1"},
                                                  {"port", 3128},
                                                  {"username", "proxy-user"}}));

  EXPECT_EQ(report.find(password), std::string::npos) << report;
  EXPECT_EQ(run.logs.find(password), std::string::npos) << run.logs;
  EXPECT_EQ(r.message.find(password), std::string::npos);
  EXPECT_EQ(r.stderr_text.find(password), std::string::npos);
  EXPECT_EQ(MetricsSummaryText(r.metrics).find(password), std::string::npos);
  const auto objects = store->Snapshot();
  ASSERT_FALSE(objects.empty());
  for (const auto& [path, bytes] : objects) {
    EXPECT_EQ(path.find(password), std::string::npos) << path;
    EXPECT_EQ(bytes.find(password), std::string::npos) << path;
  }
}

INSTANTIATE_TEST_SUITE_P(RunResultVariants, ProxyRedactionTest,
                         ::testing::Values("proxy-used-clean", "proxy-used-password",
                                           "no-proxy-used"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           std::string name = param_info.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

// ---------------------------------------------------------------------------------------------
// executor-contract §23 item 46 (D11.2): through real ingestion, the outcome's stack is the
// run_result's stack; without one it falls back to the run_error payload's.

class ReplayRunTest : public ::testing::Test {
 protected:
  RunResult Run(const std::vector<FrameBytes>& payloads, int exit_code) {
    std::string frames;
    for (const auto& p : payloads) frames += Framed(*p);
    RunConfig c;
    executor_.Configure(frames, exit_code, &c);
    c.meta.run_id = "run-1";
    c.source = "test";
    c.store = std::make_shared<lode::MemStore>();
    c.policy.name = "strict";
    RunOrchestrator orch(std::move(c));
    CancelToken cancel;
    return orch.Execute(&cancel);
  }

  static FrameBytes RunError(int64_t seq, const std::string& stack) {
    return Envelope("run_error", seq, "run-1", 1, "0.13.4", [&](Packer& pk) {
      pk.pack_map(3);
      pk.pack("error_type");
      pk.pack("script_error");
      pk.pack("message");
      pk.pack("boom");
      pk.pack("stack");
      pk.pack(stack);
    });
  }

  static FrameBytes RunResultFrame(const std::optional<std::string>& stack) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_map(2);
    pk.pack("type");
    pk.pack("run_result");
    pk.pack("outcome");
    pk.pack_map(stack ? 4 : 3);
    pk.pack("status");
    pk.pack("error");
    pk.pack("message");
    pk.pack("boom");
    pk.pack("error_type");
    pk.pack("script_error");
    if (stack) {
      pk.pack("stack");
      pk.pack(*stack);
    }
    return quarry::testing::Bytes(buf);
  }

  testing::ReplayExecutor executor_;
};

TEST_F(ReplayRunTest, OutcomeStackIsTheRunResultStack) {
  const std::string rr_stack = "RangeError: boom\n    at run (file:///s/script.mjs:3:9)";
  RunResult r =
      Run({Envelope("item", 1), RunError(2, "payload stack"), RunResultFrame(rr_stack)}, 1);
  ASSERT_EQ(r.outcome, Outcome::kScriptError) << r.message;
  EXPECT_EQ(r.ExitCode(), 1);
  EXPECT_EQ(r.message, "boom");
  EXPECT_EQ(r.error_type, "script_error");
  EXPECT_EQ(r.stack, rr_stack);

  RunResult fallback = Run({RunError(1, "payload stack"), RunResultFrame(std::nullopt)}, 1);
  ASSERT_EQ(fallback.outcome, Outcome::kScriptError) << fallback.message;
  EXPECT_EQ(fallback.stack, "payload stack");
}

// ---------------------------------------------------------------------------------------------
// executor-contract §23 item 28 / §8.2 step 3: file_write data over 8 MiB is a fatal stream error.

TEST(ConformanceIngestTest, FileWriteOverEightMiBIsFatalExactlyEightMiBIsAcked) {
  auto store = std::make_shared<lode::MemStore>();
  lode::RunDescriptor d;
  d.run_id = "run-1";
  d.source = "src";
  d.day = "2026-03-22";
  d.policy = "strict";
  d.executor = "executor.mjs";
  d.started_at = "2026-03-22T09:15:00.000Z";
  lode::RunWriter writer(store, d);
  RunMeta meta{"run-1", 1, std::nullopt, std::nullopt};
  auto policy = policy::NewStrictPolicy(&writer);
  Ingestor ingestor(meta, policy.get(), &writer, nullptr, nullptr);
  std::string acks;

  ASSERT_FALSE(
      ingestor.OnPayload(FileWriteFrame(1, "max.bin", std::string(8'388'608, 'm')), &acks));
  EXPECT_EQ(acks, ipc::EncodeFileWriteAck(1, true, ""));
  acks.clear();
  auto err = ingestor.OnPayload(FileWriteFrame(2, "big.bin", std::string(8'388'609, 'b')), &acks);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, IngestErrorKind::kStream);
  EXPECT_NE(err->message.find("8 MiB"), std::string::npos) << err->message;
  EXPECT_TRUE(acks.empty()) << "a fatal file_write gets no ack";
  for (const auto& [path, bytes] : store->Snapshot()) {
    EXPECT_EQ(path.find("big.bin"), std::string::npos) << path;
  }
}

// ---------------------------------------------------------------------------------------------
// storage-and-policies §10 item 22 (the metrics record of a run that ends after midnight) and
// item 35 (optional keys of the metrics record).

TEST(ConformanceMetricsRecordTest, DayIsTheRunStartDayEvenWhenWrittenAfterMidnight) {
  auto store = std::make_shared<lode::MemStore>();
  lode::RunDescriptor d;
  d.run_id = "late-run";
  d.source = "shop";
  d.category = "products";
  d.day = "2026-03-22";  // the run started at 23:59:58 UTC
  d.policy = "strict";
  d.executor = "executor.mjs";
  d.started_at = "2026-03-22T23:59:58.000Z";
  RunResult r;
  r.outcome = Outcome::kSuccess;
  r.message = "run completed";
  r.metrics.runs_started_total = 1;
  r.metrics.runs_completed_total = 1;
  r.metrics.policy = "strict";
  r.metrics.executor = "executor.mjs";
  r.metrics.storage_backend = "fs";
  r.metrics.run_id = "late-run";
  const std::string ts = "2026-03-23T00:00:04Z";  // completion, after midnight

  const std::string record = MetricsRecordJson(r, d, ts);
  const auto j = nlohmann::json::parse(record);
  EXPECT_EQ(j["day"], "2026-03-22");
  EXPECT_EQ(j["ts"], ts);
  // Item 35: outcome keys present; job_id, dropped_by_type, flush_triggers absent when empty.
  EXPECT_EQ(j["outcome"], "success");
  EXPECT_EQ(j["outcome_message"], "run completed");
  EXPECT_FALSE(j.contains("job_id"));
  EXPECT_FALSE(j.contains("dropped_by_type"));
  EXPECT_FALSE(j.contains("flush_triggers"));

  lode::RunWriter writer(store, d);
  ASSERT_TRUE(writer.WriteMetrics(record).ok());
  int data_files = 0;
  for (const auto& [path, bytes] : store->Snapshot()) {
    if (path.size() < 10 || path.substr(path.size() - 10) != "/data/data") continue;
    ++data_files;
    EXPECT_NE(path.find("/day=2026-03-22/run_id=late-run/event_type=metrics/"), std::string::npos)
        << path;
    EXPECT_EQ(path.find("2026-03-23"), std::string::npos) << path;
  }
  EXPECT_EQ(data_files, 1);

  // With a job id, drops and streaming triggers, the optional keys appear.
  r.metrics.job_id = "job-1";
  r.metrics.dropped_by_type = {{"log", 2}};
  r.metrics.flush_triggers = policy::FlushTriggers{};
  const auto full = nlohmann::json::parse(MetricsRecordJson(r, d, ts));
  EXPECT_EQ(full["job_id"], "job-1");
  EXPECT_EQ(full["dropped_by_type"], (nlohmann::json{{"log", 2}}));
  EXPECT_EQ(full["flush_triggers"],
            (nlohmann::json{{"capacity", 0}, {"count", 0}, {"interval", 0}, {"termination", 0}}));
}

}  // namespace
}  // namespace quarry::run
