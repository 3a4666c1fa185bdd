#include "quarry/fanout/managed_browser.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <thread>

#include "process/subprocess.h"
#include "quarry/json/canonical_json.h"
#include "quarry/log.h"
#include "quarry/redact.h"
#include "run/executor_env.h"

extern char** environ;

namespace quarry::fanout {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kCloseGrace{5};
constexpr std::chrono::seconds kTreeKillDeadline{5};

// Reads what is available on a non-blocking fd into `buf`; false at EOF or on an error.
bool ReadSome(int fd, std::string* buf) {
  char chunk[4096];
  while (true) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      buf->append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

}  // namespace

class ManagedBrowser::Impl {
 public:
  std::optional<process::Subprocess> proc;
  std::string token;
  std::string endpoint;
  std::string stdout_buf, stderr_buf;
  std::thread drain;
  int stop_fd = -1;
  bool closed = false;

  ~Impl() {
    if (stop_fd >= 0) ::close(stop_fd);
  }

  // Executor stderr as debug log lines (complete lines only; the rest waits in the buffer).
  void LogStderrLines() {
    size_t nl;
    while ((nl = stderr_buf.find('\n')) != std::string::npos) {
      std::string line = stderr_buf.substr(0, nl);
      stderr_buf.erase(0, nl + 1);
      last_stderr_line = line;
      log::Write(log::Level::kDebug, line, nullptr, R"({"stream":"managed_browser_stderr"})");
    }
  }
  std::string last_stderr_line;

  // After the endpoint: keeps both pipes drained so the browser never blocks on a full pipe.
  void DrainLoop() {
    bool out_open = proc->stdout_fd() >= 0, err_open = proc->stderr_fd() >= 0;
    while (out_open || err_open) {
      pollfd fds[3] = {{out_open ? proc->stdout_fd() : -1, POLLIN, 0},
                       {err_open ? proc->stderr_fd() : -1, POLLIN, 0},
                       {stop_fd, POLLIN, 0}};
      int n = ::poll(fds, 3, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (fds[2].revents & POLLIN) != 0) return;
      if (out_open && fds[0].revents != 0) {
        std::string ignored;
        out_open = ReadSome(proc->stdout_fd(), &ignored);
      }
      if (err_open && fds[1].revents != 0) {
        err_open = ReadSome(proc->stderr_fd(), &stderr_buf);
        LogStderrLines();
      }
    }
  }

  void KillTree() {
    process::KillRunTree(token, proc->pid(), kTreeKillDeadline);
    proc->WaitFor(kTreeKillDeadline);
    process::KillRunTree(token, proc->pid(), kTreeKillDeadline);
  }
};

ManagedBrowser::ManagedBrowser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ManagedBrowser::~ManagedBrowser() { Close(); }

const std::string& ManagedBrowser::endpoint() const { return impl_->endpoint; }

StatusOr<std::unique_ptr<ManagedBrowser>> ManagedBrowser::Launch(const ManagedBrowserOptions& o) {
  auto impl = std::make_unique<Impl>();
  impl->token = process::NewRunToken();
  std::vector<std::string> env =
      run::ExecutorEnvironment({impl->token, o.resolve_from, o.env_pass_through, o.env}, environ);
  StatusOr<process::Subprocess> spawned =
      process::Subprocess::Spawn({{o.executor, "--launch-browser", o.script}, std::move(env)});
  if (!spawned.ok()) {
    return UnavailableError("managed browser failed to start: " + spawned.status().message());
  }
  impl->proc.emplace(std::move(spawned).value());
  Impl& b = *impl;

  // Up to the first stdout line, within the start timeout, unless the crawl is cancelled.
  const auto deadline = Clock::now() + o.start_timeout;
  std::string failure;
  bool out_open = true, err_open = true;
  while (true) {
    if (size_t nl = b.stdout_buf.find('\n'); nl != std::string::npos) {
      std::string line = b.stdout_buf.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.starts_with("ws://") || line.starts_with("wss://")) {
        b.endpoint = line;
      } else {
        failure = "its first output line is not a ws:// or wss:// endpoint: \"" +
                  PrintableValue(line, 200) + "\"";
      }
      break;
    }
    if (!out_open) {
      failure = "it exited before printing an endpoint";
      if (auto st = b.proc->WaitFor(std::chrono::milliseconds(500))) {
        failure = "it " + st->ToString() + " before printing an endpoint";
      }
      break;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      failure = "no endpoint within " + std::to_string(o.start_timeout.count() / 1000) + " s";
      break;
    }
    pollfd fds[3] = {{b.proc->stdout_fd(), POLLIN, 0},
                     {err_open ? b.proc->stderr_fd() : -1, POLLIN, 0},
                     {o.cancel != nullptr ? o.cancel->fd() : -1, POLLIN, 0}};
    int n = ::poll(fds, 3, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) {
      failure = "poll failed";
      break;
    }
    if (o.cancel != nullptr && o.cancel->cancelled()) {
      failure = "canceled";
      break;
    }
    if (fds[0].revents != 0) out_open = ReadSome(b.proc->stdout_fd(), &b.stdout_buf);
    if (err_open && fds[1].revents != 0) {
      err_open = ReadSome(b.proc->stderr_fd(), &b.stderr_buf);
      b.LogStderrLines();
    }
  }
  if (!failure.empty()) {
    b.proc->CloseStdin();
    b.KillTree();
    std::string why = "managed browser failed to start: " + failure;
    if (!b.last_stderr_line.empty())
      why += " (stderr: " + PrintableValue(b.last_stderr_line, 300) + ")";
    return UnavailableError(why);
  }
  log::Write(log::Level::kInfo, "managed browser started", nullptr,
             json::ObjectBuilder()
                 .AddInt("pid", b.proc->pid())
                 .AddString("ws_endpoint", RedactUrl(b.endpoint))
                 .Build());
  b.stop_fd = ::eventfd(0, EFD_CLOEXEC);
  b.drain = std::thread([&b] { b.DrainLoop(); });
  return std::unique_ptr<ManagedBrowser>(new ManagedBrowser(std::move(impl)));
}

void ManagedBrowser::Close() {
  Impl& b = *impl_;
  if (b.closed) return;
  b.closed = true;
  b.proc->CloseStdin();  // the executor closes Chromium and exits 0
  if (!b.proc->WaitFor(kCloseGrace)) {
    log::Write(log::Level::kWarn,
               "managed browser did not exit within 5 s of stdin closing; "
               "killing it");
  }
  b.KillTree();
  if (b.drain.joinable()) {
    const uint64_t one = 1;
    (void)!::write(b.stop_fd, &one, sizeof one);
    b.drain.join();
  }
}

}  // namespace quarry::fanout
