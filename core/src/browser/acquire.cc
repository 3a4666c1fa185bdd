// §10.3 acquisition: under browser.lock, reuse the recorded server or replace it.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "browser/server_process.h"
#include "quarry/browser/reuse.h"
#include "quarry/http_client.h"
#include "quarry/log.h"
#include "quarry/redact.h"
#include "quarry/run/orchestrator.h"

extern char** environ;

namespace quarry::browser {
namespace {

using internal::PidState;
using Clock = std::chrono::steady_clock;

std::string ErrnoText(int err) { return std::strerror(err); }

// The directory must be ours and private: another user able to write browser.json could point
// our runs at a browser they control.
Status EnsurePrivateDirectory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return IOError("cannot create " + dir + ": " + ErrnoText(errno));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return IOError(dir + ": " + ErrnoText(errno));
  if (!S_ISDIR(st.st_mode)) return FailedPreconditionError(dir + " is not a directory");
  if (st.st_uid != ::geteuid()) {
    return FailedPreconditionError(dir + " belongs to uid " + std::to_string(st.st_uid) +
                                   ", not to us");
  }
  if ((st.st_mode & 07777) != 0700 && ::chmod(dir.c_str(), 0700) != 0) {
    return IOError("chmod 0700 " + dir + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

class LockFile {
 public:
  ~LockFile() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }
  Status Acquire(const std::string& path, std::chrono::milliseconds timeout,
                 const run::CancelToken* cancel) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) return IOError(path + ": " + ErrnoText(errno));
    ::fchmod(fd_, 0600);
    const auto deadline = Clock::now() + timeout;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR)
        return IOError("flock " + path + ": " + ErrnoText(errno));
      if (cancel && cancel->cancelled()) return CancelledError("cancelled waiting for " + path);
      if (Clock::now() >= deadline) {
        return DeadlineExceededError("another process held " + path + " for more than " +
                                     std::to_string(timeout.count() / 1000) + "s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

StatusOr<std::optional<std::string>> ReadRecordText(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return IOError(path + ": " + ErrnoText(errno));
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while (text.size() < (1 << 16) && (n = ::read(fd, buf, sizeof buf)) > 0) {
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(text));
}

Status WriteRecord(const DiscoveryFiles& files, const ServerRecord& record) {
  const std::string text = FormatServerRecord(record);
  int fd =
      ::open(files.record_tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IOError(files.record_tmp + ": " + ErrnoText(errno));
  ::fchmod(fd, 0600);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(files.record_tmp.c_str());
      return IOError(files.record_tmp + ": " + ErrnoText(err));
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(files.record_tmp.c_str(), files.record.c_str()) != 0) {
    int err = errno;
    ::unlink(files.record_tmp.c_str());
    return IOError("rename to " + files.record + ": " + ErrnoText(err));
  }
  return Status::Ok();
}

void RemoveRecord(const DiscoveryFiles& files) { ::unlink(files.record.c_str()); }

// A reuse marks browser.json (its mtime): the server counts that as activity, so it does not
// decide it is idle between our health check and the run's executor connecting. ENOENT means
// the server has just begun an idle shutdown (it takes the file away first).
bool MarkReused(const DiscoveryFiles& files) {
  return ::utimensat(AT_FDCWD, files.record.c_str(), nullptr, AT_SYMLINK_NOFOLLOW) == 0;
}

// Why the recorded server cannot be reused; empty when it is healthy.
std::string Staleness(const ServerRecord& rec, const ReuseOptions& o, bool* verified_server) {
  const pid_t pid = static_cast<pid_t>(rec.pid);
  *verified_server = false;
  internal::ReapIfLaunched(pid);
  switch (internal::InspectPid(pid)) {
    case PidState::kGone:
      return "pid " + std::to_string(pid) + " is gone";
    case PidState::kZombie:
      *verified_server = internal::RunsBrowserServer(pid);
      return "pid " + std::to_string(pid) + " is a zombie";
    case PidState::kAlive:
      break;
  }
  if (!internal::HaveProc()) return "";  // §10.3: a live pid is assumed healthy without /proc
  if (Status h = CheckEndpointHealth(rec.ws_endpoint, o.health_timeout, o.cancel); !h.ok()) {
    *verified_server = internal::RunsBrowserServer(pid);
    return "pid " + std::to_string(pid) + " is unhealthy: " + h.message();
  }
  return "";
}

StatusOr<ReusableBrowser> Launch(const DiscoveryFiles& files, const ReuseOptions& o) {
  internal::LaunchSpec spec;
  spec.executor = o.executor;
  spec.script = o.script;
  spec.env = internal::ServerEnvironment(environ, files.record, o.idle_timeout_seconds);
  spec.log_path = files.server_log;
  spec.timeout = o.launch_timeout;
  spec.cancel = o.cancel;
  auto launched = internal::LaunchServer(spec, files.record);
  if (!launched.ok()) return launched.status();
  ServerRecord rec;
  rec.ws_endpoint = launched->ws_endpoint;
  rec.pid = launched->pid;
  rec.proxy_hash = "";
  rec.started_at = FormatStartedAt(std::chrono::system_clock::now());
  if (Status w = WriteRecord(files, rec); !w.ok()) {
    internal::KillServerLeftovers(files.record, launched->pid, /*kill_group=*/true);
    return w;
  }
  ReusableBrowser b;
  b.ws_endpoint = rec.ws_endpoint;
  b.pid = rec.pid;
  b.started = true;
  b.age_seconds = 0;
  b.record_path = files.record;
  return b;
}

}  // namespace

Status CheckEndpointHealth(std::string_view ws_endpoint, std::chrono::milliseconds timeout,
                           const run::CancelToken* cancel) {
  auto url = HealthCheckUrl(ws_endpoint);
  if (!url.ok()) return url.status();
  http::Request req;
  req.url = *url;
  req.timeout = timeout;
  if (cancel) req.should_abort = [cancel] { return cancel->cancelled(); };
  auto resp = http::Send(req);
  if (!resp.ok()) return resp.status();
  if (resp->status != 200) return UnavailableError("HTTP status " + std::to_string(resp->status));
  return Status::Ok();
}

StatusOr<ReusableBrowser> AcquireReusableBrowser(const ReuseOptions& o) {
  if (o.executor.empty()) return InvalidArgumentError("no executor to start a browser server");
  const DiscoveryFiles files =
      DiscoveryFiles::In(o.discovery_dir.empty() ? DefaultDiscoveryDir() : o.discovery_dir);
  internal::ReapLaunched();
  if (Status d = EnsurePrivateDirectory(files.dir); !d.ok()) return d;
  LockFile lock;
  if (Status l = lock.Acquire(files.lock, o.lock_timeout, o.cancel); !l.ok()) return l;

  auto text = ReadRecordText(files.record);
  if (!text.ok()) return text.status();
  if (*text) {
    auto rec = ParseServerRecord(**text);
    if (!rec.ok()) {
      log::Write(log::Level::kDebug, "replacing " + files.record + ": " + rec.status().message());
    } else if (!rec->proxy_hash.empty()) {
      return FailedPreconditionError(
          "the browser server in " + files.record + " (pid " + std::to_string(rec->pid) +
          ") was started with a browser-level proxy (proxy_hash " +
          PrintableValue(rec->proxy_hash) + "); it is left running and not reused");
    } else {
      bool verified = false;
      std::string stale = Staleness(*rec, o, &verified);
      if (stale.empty() && MarkReused(files)) {
        ReusableBrowser b;
        b.ws_endpoint = rec->ws_endpoint;
        b.pid = rec->pid;
        b.age_seconds = AgeSeconds(rec->started_at, std::chrono::system_clock::now());
        b.record_path = files.record;
        return b;
      }
      if (stale.empty()) {
        stale = "pid " + std::to_string(rec->pid) + " is shutting down (idle)";
      } else {
        // A zombie's or an unhealthy server's process group is killed only when /proc shows it
        // is a browser server (the pid may belong to someone else by now); what carries our
        // discovery variable is ours in any case.
        int killed =
            internal::KillServerLeftovers(files.record, static_cast<pid_t>(rec->pid), verified);
        stale += "; " + std::to_string(killed) + " leftover process(es) killed";
      }
      RemoveRecord(files);
      log::Write(log::Level::kInfo,
                 "stale browser server in " + files.record + ": " + stale + "; starting a new one");
    }
  }
  if (o.cancel && o.cancel->cancelled()) return CancelledError("cancelled");
  return Launch(files, o);
}

std::string AcquireOrFallBack(const ReuseOptions& o, const log::RunContext* run) {
  auto b = AcquireReusableBrowser(o);
  if (!b.ok()) {
    log::Write(log::Level::kWarn, "Browser reuse unavailable: " + b.status().message(), run);
    return "";
  }
  std::string fields = "{\"pid\":" + std::to_string(b->pid);
  if (b->started) {
    fields += ",\"idle_timeout_s\":" + std::to_string(o.idle_timeout_seconds) + "}";
    log::Write(log::Level::kInfo,
               "started browser server pid " + std::to_string(b->pid) + " (idle timeout " +
                   std::to_string(o.idle_timeout_seconds) + "s, " + b->record_path + ")",
               run, fields);
  } else {
    std::string age = b->age_seconds ? std::to_string(*b->age_seconds) + "s" : "unknown";
    if (b->age_seconds) fields += ",\"age_s\":" + std::to_string(*b->age_seconds);
    fields += "}";
    log::Write(log::Level::kInfo,
               "reusing browser server pid " + std::to_string(b->pid) + " (age " + age + ")", run,
               fields);
  }
  return b->ws_endpoint;
}

}  // namespace quarry::browser
