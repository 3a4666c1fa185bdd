// Runs one extraction: spawns the executor, streams and validates its frames, applies the
// ingestion policy, writes Lode, and decides the outcome (executor-contract.md §16–§17).
//
// Usage:
//   run::CancelToken cancel;
//   run::RunOrchestrator orch(std::move(config));
//   run::RunResult result = orch.Execute(&cancel);   // blocks; never throws
//   orch.PersistMetrics(result);                     // best effort, after the run
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "quarry/run/run_config.h"
#include "quarry/run/run_result.h"

namespace quarry::run {

// Thread-safe cancellation, observed continuously by a running Execute(). The first reason wins.
class CancelToken {
 public:
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  // Async-signal-safe when `reason` is a string literal.
  void Cancel(const char* reason);
  bool cancelled() const { return cancelled_.load(); }
  const char* reason() const { return reason_.load(); }
  // Becomes readable once cancelled (for poll()).
  int fd() const { return event_fd_; }

 private:
  std::atomic<bool> cancelled_{false};
  std::atomic<const char*> reason_{nullptr};
  int event_fd_ = -1;
};

class RunOrchestrator {
 public:
  explicit RunOrchestrator(RunConfig config);
  ~RunOrchestrator();

  // Executes the run to its outcome. Pre-run validation is the caller's job (the CLI exits 2 on
  // invalid input before calling this), but lineage is re-checked and reported as a crash.
  RunResult Execute(CancelToken* cancel);

  // Writes the metrics record (§4.9) for `result`; failures are returned for a warning.
  Status PersistMetrics(const RunResult& result);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace quarry::run
