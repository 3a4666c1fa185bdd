// Pieces of RunOrchestrator shared by its source files: the run pipeline (what a policy writes
// through, shared with a flush that outlives its bound), the Impl class, and the supervision
// constants. orchestrator.cc runs a run end to end; orchestrator_supervise.cc is the poll loop over
// the executor's pipes; orchestrator_pipeline.cc builds the counters from the pipeline.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "process/subprocess.h"
#include "quarry/lode/run_writer.h"
#include "quarry/log.h"
#include "quarry/policy/policy.h"
#include "quarry/run/orchestrator.h"
#include "quarry/sinks/event_sinks.h"
#include "run/ingestor.h"
#include "run/outcome.h"
#include "run/stderr_buffer.h"

namespace quarry::run {
namespace orchestrator_internal {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kExitAfterEofTimeout{30'000};
constexpr milliseconds kTreeKillDeadline{5'000};
// When the executor has exited but something it started still holds stdout open.
constexpr milliseconds kStdoutGraceAfterExit{5'000};
constexpr long kProbeTimeoutMs = 2'000;

// Counts policy writes for the lode_write_* metrics (per write call, not per record).
class CountingSink final : public BatchSink {
 public:
  explicit CountingSink(lode::RunWriter* writer) : writer_(writer) {}
  Status WriteEvents(std::span<const Event> events) override {
    return Count(writer_->WriteEvents(events));
  }
  Status WriteChunks(std::span<const Chunk> chunks) override {
    return Count(writer_->WriteChunks(chunks));
  }
  Status CheckEvent(const Event& event) const override { return writer_->CheckEvent(event); }
  uint64_t successes() const { return ok_.load(); }
  uint64_t failures() const { return failed_.load(); }

 private:
  Status Count(Status s) {
    (s.ok() ? ok_ : failed_).fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  lode::RunWriter* writer_;
  std::atomic<uint64_t> ok_{0}, failed_{0};
};

// Everything the policy reaches while it writes. Shared, because an end-of-run flush or a metrics
// write that outlives its timeout keeps running on a helper thread after Execute has returned and
// the orchestrator may be gone (§3.8). Members are destroyed in reverse order: the policy before
// the sinks it writes to, the sinks before the writer.
struct RunPipeline {
  log::RunContext log_ctx;
  std::shared_ptr<lode::RunWriter> writer;  // null without storage
  std::unique_ptr<CountingSink> counting;
  std::unique_ptr<sinks::FanOutSink> event_sinks;
  std::unique_ptr<policy::Policy> policy;
};

// Close() makes one more best-effort flush; its result changes nothing (§3.8).
void ClosePipeline(RunPipeline& p);

// events_persisted is what at least one event sink stored; per sink stored and dropped counts are
// reported when sinks were configured (docs/decisions.md, docs/integrations.md).
void SinkCounters(const sinks::FanOutSink& sinks, bool configured, RunResult* r);

}  // namespace orchestrator_internal

class RunOrchestrator::Impl {
  using Clock = orchestrator_internal::Clock;
  using RunPipeline = orchestrator_internal::RunPipeline;

 public:
  explicit Impl(RunConfig config) : c_(std::move(config)) {}

  RunResult Execute(CancelToken* cancel);
  Status PersistMetrics(const RunResult& result);

 private:
  // Streams frames until EOF, a fatal error, cancellation or timeout. Returns the abnormal cause.
  void Supervise(process::Subprocess* proc, const std::string& request, Ingestor* ingestor,
                 CancelToken* cancel, Clock::time_point start, OutcomeInputs* in,
                 IngestErrorKind* error_kind);
  void DrainStderr(process::Subprocess* proc);

  RunConfig c_;
  std::shared_ptr<RunPipeline> pipe_ = std::make_shared<RunPipeline>();
  lode::RunDescriptor desc_;
  StderrBuffer stderr_;
  std::string metrics_ts_;
};

}  // namespace quarry::run
