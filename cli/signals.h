// SIGINT/SIGTERM during `quarry run` (cli-and-integrations.md §4.10): the first cancels the run
// (the orchestrator kills the executor tree and flushes); a second one received while finalizing
// exits 2 at once. Signals are taken by a sigwait() thread, so no work runs in a signal handler.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "quarry/run/orchestrator.h"

namespace quarry::cli {

class SignalCanceller {
 public:
  // Must be constructed before any other thread is started, so every thread inherits the mask.
  explicit SignalCanceller(run::CancelToken* cancel);
  ~SignalCanceller();

  // The executor tree has been killed and reaped; a further signal exits the process with 2.
  void EnterFinalization() { finalizing_.store(true); }

 private:
  void Loop();

  run::CancelToken* cancel_;
  sigset_t set_;
  sigset_t old_;
  std::atomic<bool> finalizing_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace quarry::cli
