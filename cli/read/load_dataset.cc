#include "read/load_dataset.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "quarry/duration.h"
#include "quarry/lode/open_store.h"
#include "quarry/read/digest_cache.h"

namespace quarry::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string TimeoutText(std::chrono::milliseconds t) {
  if (t.count() % 1000 == 0) return std::to_string(t.count() / 1000) + "s";
  return FormatDuration(t);
}

// "Scanning dataset: <done>/<total> snapshots", redrawn in place; shown only after a short delay
// so fast commands never flash it.
class ScanProgress {
 public:
  explicit ScanProgress(bool wanted)
      : enabled_(wanted && ::isatty(STDERR_FILENO) == 1), start_(Clock::now()) {}
  ~ScanProgress() { Erase(); }

  void Update(size_t done, size_t total) {
    if (!enabled_ || Clock::now() - start_ < std::chrono::milliseconds(300)) return;
    std::lock_guard lock(mu_);
    std::fprintf(stderr, "\r\033[KScanning dataset: %zu/%zu snapshots", done, total);
    std::fflush(stderr);
    drawn_ = true;
  }
  void Erase() {
    std::lock_guard lock(mu_);
    if (!drawn_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }

 private:
  const bool enabled_;
  const Clock::time_point start_;
  std::mutex mu_;
  bool drawn_ = false;
};

// State shared with the worker thread, which may outlive the call on a timeout.
struct Job {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Status result = Status::Ok();
  std::shared_ptr<const read::Dataset> dataset;
  std::atomic<bool> cancelled{false};
  ScanProgress progress;
  explicit Job(bool show_progress) : progress(show_progress) {}
};

}  // namespace

std::chrono::milliseconds ReadTimeout() {
  if (const char* env = std::getenv("QUARRY_READ_TIMEOUT"); env && *env) {
    if (auto d = ParseDuration(env); d.ok() && d->count() > 0) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    }
  }
  return std::chrono::seconds(60);
}

namespace {

// Loads the dataset on a worker thread bounded by the read timeout, then runs `body` (if any) on
// that thread; on success the loaded dataset is kept in the job.
Status Load(const LocationFlags& location, const std::shared_ptr<Job>& job,
            std::function<Status(const read::Dataset&)> body) {
  const auto timeout = ReadTimeout();
  std::thread worker([job, location, body = std::move(body)] {
    std::shared_ptr<const read::Dataset> loaded;
    Status st = [&]() -> Status {
      QUARRY_ASSIGN_OR_RETURN(std::shared_ptr<lode::Store> store,
                              lode::OpenStore(location.location));
      std::unique_ptr<read::DigestCache> cache;
      if (auto dir = read::DefaultCacheDir()) {
        // No cache is no error: the command reads the store instead.
        if (auto opened = read::DigestCache::Open(*dir, *store, location.dataset); opened.ok()) {
          cache = std::move(*opened);
        }
      }
      read::ScanOptions options;
      options.cache = cache.get();
      options.cancelled = &job->cancelled;
      options.progress = [job](size_t done, size_t total) { job->progress.Update(done, total); };
      QUARRY_ASSIGN_OR_RETURN(read::Scan scan,
                              read::ScanDataset(*store, location.dataset, options));
      job->progress.Erase();
      loaded = std::make_shared<const read::Dataset>(std::move(scan));
      return body ? body(*loaded) : Status::Ok();
    }();
    std::lock_guard lock(job->mu);
    job->done = true;
    job->result = std::move(st);
    job->dataset = std::move(loaded);
    job->cv.notify_all();
  });
  std::unique_lock lock(job->mu);
  if (!job->cv.wait_for(lock, timeout, [&] { return job->done; })) {
    job->cancelled = true;
    lock.unlock();
    job->progress.Erase();
    // A store call may block for good (a hung mount): the worker is left behind, and the
    // process ends with the command.
    worker.detach();
    return DeadlineExceededError("timed out reading dataset after " + TimeoutText(timeout));
  }
  lock.unlock();
  worker.join();
  return job->result;
}

}  // namespace

Status WithDataset(const LocationFlags& location,
                   const std::function<Status(const read::Dataset&)>& body, bool progress) {
  return Load(location, std::make_shared<Job>(progress), body);
}

StatusOr<std::shared_ptr<const read::Dataset>> LoadDataset(const LocationFlags& location,
                                                           bool progress) {
  auto job = std::make_shared<Job>(progress);
  QUARRY_RETURN_IF_ERROR(Load(location, job, nullptr));
  return job->dataset;
}

}  // namespace quarry::cli
