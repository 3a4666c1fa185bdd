#include "quarry/run/orchestrator.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>

#include "process/subprocess.h"
#include "quarry/http_client.h"
#include "quarry/ipc/codec.h"
#include "quarry/json/canonical_json.h"
#include "quarry/log.h"
#include "quarry/redact.h"
#include "quarry/run/report.h"
#include "quarry/sinks/event_sinks.h"
#include "run/bounded_call.h"
#include "run/executor_env.h"
#include "run/ingestor.h"
#include "run/orchestrator_internal.h"
#include "run/outcome.h"
#include "run/proxy_feedback.h"
#include "run/run_request.h"
#include "run/stderr_buffer.h"

extern char** environ;

namespace quarry::run {
namespace {

using orchestrator_internal::Clock;
using orchestrator_internal::ClosePipeline;
using orchestrator_internal::CountingSink;
using orchestrator_internal::kProbeTimeoutMs;
using orchestrator_internal::kTreeKillDeadline;
using orchestrator_internal::RunPipeline;
using orchestrator_internal::SinkCounters;
using std::chrono::milliseconds;

std::string FormatUtc(std::chrono::system_clock::time_point t, const char* fmt, bool millis) {
  auto ms = std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  std::string out = buf;
  if (millis) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03lld", static_cast<long long>(ms % 1000));
    out += frac;
  }
  return out;
}

std::vector<std::string> BuildEnvironment(const RunConfig& c, const std::string& token) {
  return ExecutorEnvironment({token, c.resolve_from, c.env_pass_through, c.env}, environ);
}

// D7: GET http(s)://host:port/json/version with a 2 s timeout; HTTP 200 required.
Status ProbeBrowserEndpoint(const std::string& endpoint) {
  std::string_view ep = endpoint;
  std::string scheme = "http";
  if (ep.starts_with("wss://")) {
    scheme = "https";
    ep.remove_prefix(6);
  } else if (ep.starts_with("ws://")) {
    ep.remove_prefix(5);
  } else if (size_t p = ep.find("://"); p != std::string_view::npos) {
    ep.remove_prefix(p + 3);
  }
  std::string_view hostport = ep.substr(0, ep.find_first_of("/?#"));
  if (size_t at = hostport.rfind('@'); at != std::string_view::npos) hostport.remove_prefix(at + 1);
  http::Request req;
  req.url = scheme + "://" + std::string(hostport) + "/json/version";
  req.timeout = std::chrono::milliseconds(kProbeTimeoutMs);
  StatusOr<http::Response> resp = http::Send(req);
  if (!resp.ok()) return resp.status();
  if (resp->status != 200) return UnavailableError("HTTP status " + std::to_string(resp->status));
  return Status::Ok();
}

}  // namespace

RunResult RunOrchestrator::Impl::Execute(CancelToken* cancel) {
  static std::once_flag process_setup;
  std::call_once(process_setup, [] {
    // Writes to a dead executor's stdin must fail with EPIPE, not kill this process.
    ::signal(SIGPIPE, SIG_IGN);
    // Chromium processes orphaned by a killed executor are re-parented to us and reaped.
    process::BecomeSubreaper();
  });

  const auto start = Clock::now();
  const auto wall_start = std::chrono::system_clock::now();
  RunResult r;
  r.meta = c_.meta;
  r.started_at = FormatUtc(wall_start, "%Y-%m-%dT%H:%M:%S", true) + "Z";
  r.day = FormatUtc(wall_start, "%Y-%m-%d", false);
  r.policy_name = c_.policy.name;
  RunMetrics& m = r.metrics;
  m.runs_started_total = 1;
  m.policy = c_.policy.name;
  m.executor = std::filesystem::path(c_.executor_path).filename().string();
  m.storage_backend = c_.store ? std::string(c_.store->Backend()) : "";
  m.run_id = c_.meta.run_id;
  m.job_id = c_.meta.job_id;

  RunPipeline& pipe = *pipe_;
  pipe.log_ctx = {c_.meta.run_id, c_.meta.attempt, c_.meta.job_id, c_.meta.parent_run_id};
  desc_.dataset = c_.dataset;
  desc_.run_id = c_.meta.run_id;
  desc_.attempt = c_.meta.attempt;
  desc_.job_id = c_.meta.job_id;
  desc_.parent_run_id = c_.meta.parent_run_id;
  desc_.source = c_.source;
  desc_.category = c_.category;
  desc_.day = r.day;
  desc_.policy = c_.policy.name;
  desc_.executor = m.executor;
  desc_.started_at = r.started_at;
  desc_.fanout = c_.fanout;
  if (c_.store) pipe.writer = std::make_shared<lode::RunWriter>(c_.store, desc_);

  OutcomeInputs in;
  IngestErrorKind error_kind = IngestErrorKind::kStream;
  pipe.counting = std::make_unique<CountingSink>(pipe.writer.get());
  // Events go to the configured sinks (the counted Lode writer among them, or not); chunks always
  // go to Lode (§8.5).
  {
    auto f = sinks::NewFanOutSink(pipe.counting.get(), c_.event_sinks,
                                  {c_.meta.run_id, c_.source, c_.category}, &pipe.log_ctx);
    if (f.ok()) {
      pipe.event_sinks = std::move(f).value();
    } else {
      in.cause = AbnormalCause::kPolicy;
      in.cause_message = "failed to create policy: " + f.status().message();
      pipe.event_sinks =
          std::move(sinks::NewFanOutSink(pipe.counting.get(), {}, {}, &pipe.log_ctx)).value();
    }
  }
  if (in.cause != AbnormalCause::kNone) {
    // an event sink could not be built
  } else if (Status meta_ok = ValidateRunMeta(c_.meta); !meta_ok.ok()) {
    in.cause = AbnormalCause::kStartFailed;
    in.cause_message = "failed to start executor: invalid run metadata: " + meta_ok.message();
  } else if (!pipe.writer) {
    in.cause = AbnormalCause::kStartFailed;
    in.cause_message = "failed to start executor: no storage configured";
  } else {
    auto p = policy::NewPolicy(c_.policy, pipe.event_sinks.get(), &pipe.log_ctx);
    if (!p.ok()) {
      in.cause = AbnormalCause::kPolicy;
      in.cause_message = p.status().message();
    } else {
      pipe.policy = std::move(p).value();
    }
  }
  // inert: nothing is ingested
  if (!pipe.policy) pipe.policy = policy::NewStrictPolicy(pipe.event_sinks.get());
  policy::Policy* const policy = pipe.policy.get();

  stderr_.on_line = c_.observer.on_stderr_line;
  ProxyFeedback proxy_feedback(c_);
  Ingestor ingestor(c_.meta, policy, pipe.writer.get(), &pipe.log_ctx,
                    proxy_feedback.Observe(c_.observer.on_event));

  if (in.cause == AbnormalCause::kNone && !c_.browser_ws_endpoint.empty()) {
    if (Status probe = ProbeBrowserEndpoint(c_.browser_ws_endpoint); !probe.ok()) {
      in.cause = AbnormalCause::kProbeFailed;
      in.cause_message = "browser endpoint unreachable: " + RedactUrl(c_.browser_ws_endpoint) +
                         ": " + probe.message();
    }
  }

  std::optional<process::Subprocess> proc;
  std::string token = process::NewRunToken();
  if (in.cause == AbnormalCause::kNone) {
    StatusOr<std::string> request = BuildRunRequest(c_, r.day);
    StatusOr<process::Subprocess> spawned =
        request.ok() ? process::Subprocess::Spawn(
                           {{c_.executor_path, c_.script_path}, BuildEnvironment(c_, token)})
                     : StatusOr<process::Subprocess>(request.status());
    if (!spawned.ok()) {
      m.executor_launch_failure_total = 1;
      in.cause = AbnormalCause::kStartFailed;
      in.cause_message = "failed to start executor: " + spawned.status().message();
    } else {
      m.executor_launch_success_total = 1;
      proc.emplace(std::move(spawned).value());
      // Not nlohmann's dump(): it throws on a path that is not UTF-8.
      json::ObjectBuilder fields;
      fields.AddInt("pid", proc->pid()).AddString("executor", c_.executor_path);
      log::Write(log::Level::kDebug, "executor started", &pipe.log_ctx, fields.Build());
      Supervise(&*proc, *request, &ingestor, cancel, start, &in, &error_kind);
    }
  }

  if (proc) {
    if (in.cause != AbnormalCause::kNone) {
      // D8 abnormal end: stop reading, close stdin, kill the whole tree, reap.
      proc->CloseStdin();
      proc->KillGroup();
    }
    // On every path no process of the run may survive (Chromium included).
    process::KillRunTree(token, proc->pid(), kTreeKillDeadline);
    in.exit = proc->WaitFor(kTreeKillDeadline);
    if (!in.exit) in.reap_error = "executor did not exit after SIGKILL";
    process::KillRunTree(token, proc->pid(), kTreeKillDeadline);
    DrainStderr(&*proc);
  }
  ingestor.Finish();

  // The single end-of-run flush, on every path (§3.8), bounded so that a store that stops
  // answering cannot hang the run. A flush that outlives the bound still finishes (and the policy
  // is closed after it) on its own thread, which keeps the pipeline alive.
  bool flush_abandoned = false;
  Status flushed = CallWithTimeout(
      [pipe = pipe_] { return pipe->policy->Flush(); }, c_.flush_timeout, "end-of-run flush",
      [pipe = pipe_](const Status&) { ClosePipeline(*pipe); }, &flush_abandoned);
  if (!flushed.ok()) {
    if (in.cause == AbnormalCause::kNone) {
      in.flush_error = flushed.message();
    } else {
      log::Write(log::Level::kError, "end-of-run flush failed: " + flushed.message(),
                 &pipe.log_ctx);
    }
  }
  r.policy_stats = policy->Stats();

  in.terminal = ingestor.terminal() ? &*ingestor.terminal() : nullptr;
  in.run_result = ingestor.run_result() ? &*ingestor.run_result() : nullptr;
  if (!proc && in.cause == AbnormalCause::kNone) in.reap_error = "executor was not started";
  OutcomeDecision d = DecideOutcome(in);
  r.duration_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  for (const auto& w : d.warnings) log::Write(log::Level::kWarn, w, &pipe.log_ctx);
  r.outcome = d.outcome;
  r.message = d.message;
  r.error_type = d.error_type;
  r.stack = d.stack;
  r.event_count = ingestor.last_seq();
  r.artifacts = ingestor.artifact_stats();
  if (ingestor.terminal()) r.terminal_summary_json = ingestor.terminal()->payload_json;
  if (in.run_result && in.run_result->has_proxy_used) {
    ProxyEndpoint p;
    p.protocol = in.run_result->proxy_protocol;
    p.host = in.run_result->proxy_host;
    p.port = static_cast<int64_t>(in.run_result->proxy_port);
    p.username = in.run_result->proxy_username;
    r.proxy_used = p;
  } else if (c_.proxy) {
    r.proxy_used = *c_.proxy;
    r.proxy_used->password.reset();
  }
  r.stderr_text = stderr_.Text();
  proxy_feedback.RunEnded(&r);

  if (in.cause == AbnormalCause::kStream) {
    m.executor_crash_total = 1;
    if (error_kind == IngestErrorKind::kDecode) m.ipc_decode_errors_total = 1;
  }
  switch (r.outcome) {
    case Outcome::kSuccess:
      m.runs_completed_total = 1;
      break;
    case Outcome::kScriptError:
    case Outcome::kPolicyFailure:
    case Outcome::kVersionMismatch:
      m.runs_failed_total = 1;
      break;
    case Outcome::kExecutorCrash:
      m.runs_crashed_total = 1;
      break;
  }
  m.events_received_total = r.policy_stats.total_events;
  m.events_persisted_total = r.policy_stats.events_persisted;
  m.events_dropped_total = r.policy_stats.events_dropped;
  m.dropped_by_type = r.policy_stats.dropped_by_type;
  m.flush_triggers = r.policy_stats.flush_triggers;
  m.lode_write_success_total = pipe.counting->successes();
  m.lode_write_failure_total = pipe.counting->failures() + ingestor.sidecar_failures();
  m.lode_write_retry_total = c_.store_open_retries + (pipe.writer ? pipe.writer->retries() : 0);

  // After an abandoned flush the helper thread closes the pipeline once the flush returns.
  if (!flush_abandoned) ClosePipeline(pipe);
  // With several sinks a batch can be stored by some and fail on others, which the policy only
  // sees as one failed write: what was stored is counted by the fan-out, after the close's retry
  // (so the counters equal what the sinks hold).
  SinkCounters(*pipe.event_sinks, !c_.event_sinks.empty(), &r);
  metrics_ts_ = FormatUtc(std::chrono::system_clock::now(), "%Y-%m-%dT%H:%M:%SZ", false);
  return r;
}

Status RunOrchestrator::Impl::PersistMetrics(const RunResult& result) {
  if (!pipe_->writer) return FailedPreconditionError("no storage configured");
  // Bounded like the flush (§3.8); the writer finishes the flush's write first if that is still
  // running.
  return CallWithTimeout(
      [writer = pipe_->writer, record = MetricsRecordJson(result, desc_, metrics_ts_)] {
        return writer->WriteMetrics(record);
      },
      c_.metrics_timeout, "metrics write");
}

RunOrchestrator::RunOrchestrator(RunConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}
RunOrchestrator::~RunOrchestrator() = default;
RunResult RunOrchestrator::Execute(CancelToken* cancel) { return impl_->Execute(cancel); }
Status RunOrchestrator::PersistMetrics(const RunResult& result) {
  return impl_->PersistMetrics(result);
}

}  // namespace quarry::run
