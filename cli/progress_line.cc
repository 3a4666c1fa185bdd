#include "progress_line.h"

#include <cstdio>
#include <string>

#include "quarry/log.h"

namespace quarry::cli {

ProgressLine::ProgressLine(bool enabled) : ProgressLine(enabled, nullptr) {}

ProgressLine::ProgressLine(bool enabled, std::function<std::string(double)> text)
    : enabled_(enabled), start_(std::chrono::steady_clock::now()), text_(std::move(text)) {
  if (!enabled_) return;
  log::SetLineHooks([this] { EraseLocked(); }, [this] { DrawLocked(); });
  thread_ = std::thread([this] { Loop(); });
}

ProgressLine::~ProgressLine() { Stop(); }

void ProgressLine::OnEvent(bool is_artifact) {
  events_.fetch_add(1, std::memory_order_relaxed);
  if (is_artifact) artifacts_.fetch_add(1, std::memory_order_relaxed);
}

void ProgressLine::Stop() {
  if (!enabled_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  log::SetLineHooks(nullptr, nullptr);
  log::Locked([this] { EraseLocked(); });
}

// Drawing and erasing always happen under the logger's lock (the hooks run inside it), so the
// line never interleaves with a log line; mu_ only guards stop_.
void ProgressLine::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    log::Locked([this] { DrawLocked(); });
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; });
  }
}

void ProgressLine::DrawLocked() {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (text_) {
    std::fputs(("\r\033[K  " + text_(secs)).c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
    return;
  }
  char line[160];
  std::snprintf(line, sizeof line, "\r\033[K  running %.1fs  events %llu  artifacts %llu", secs,
                static_cast<unsigned long long>(events_.load()),
                static_cast<unsigned long long>(artifacts_.load()));
  std::fputs(line, stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::EraseLocked() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace quarry::cli
