// The live status line of `quarry run` on a terminal (cli-and-integrations.md §2): elapsed time,
// events, artifacts; erased around every log line and before the summary. Inactive when stderr
// is not a terminal or with --quiet.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace quarry::cli {

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled);
  // Another command's line: `text(elapsed seconds)` is called on the drawing thread every
  // redraw (so it must only read atomics) and must not be wider than the terminal.
  ProgressLine(bool enabled, std::function<std::string(double)> text);
  ~ProgressLine();  // stops and erases

  void OnEvent(bool is_artifact);
  void Stop();

 private:
  void Loop();
  void DrawLocked();
  void EraseLocked();

  const bool enabled_;
  const std::chrono::steady_clock::time_point start_;
  const std::function<std::string(double)> text_;  // empty: the run's line
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> artifacts_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool drawn_ = false;
  std::thread thread_;
};

}  // namespace quarry::cli
