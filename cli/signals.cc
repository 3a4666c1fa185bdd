#include "signals.h"

#include <unistd.h>

namespace quarry::cli {

SignalCanceller::SignalCanceller(run::CancelToken* cancel) : cancel_(cancel) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGUSR1);  // wakes the thread for shutdown
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
  thread_ = std::thread([this] { Loop(); });
}

SignalCanceller::~SignalCanceller() {
  stop_.store(true);
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
  // Discard a wake-up signal that may still be pending before unblocking.
  timespec zero{0, 0};
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  while (sigtimedwait(&usr1, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

void SignalCanceller::Loop() {
  while (!stop_.load()) {
    int sig = 0;
    if (sigwait(&set_, &sig) != 0) continue;
    if (sig == SIGUSR1) continue;
    if (finalizing_.load()) _exit(2);
    cancel_->Cancel(sig == SIGINT ? "SIGINT" : "SIGTERM");
  }
}

}  // namespace quarry::cli
