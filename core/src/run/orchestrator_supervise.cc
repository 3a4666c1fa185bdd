// The run loop: one poll() over the executor's stdout (frames), stderr, stdin (the run request,
// then acks) and the cancellation eventfd, with the --timeout deadline (docs/architecture.md).
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "quarry/duration.h"
#include "quarry/ipc/codec.h"
#include "run/orchestrator_internal.h"

namespace quarry::run {

using orchestrator_internal::kExitAfterEofTimeout;
using orchestrator_internal::kStdoutGraceAfterExit;
using orchestrator_internal::kTreeKillDeadline;
using std::chrono::milliseconds;

CancelToken::CancelToken() : event_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
CancelToken::~CancelToken() {
  if (event_fd_ >= 0) ::close(event_fd_);
}

void CancelToken::Cancel(const char* reason) {
  const char* expected = nullptr;
  reason_.compare_exchange_strong(expected, reason);
  cancelled_.store(true);
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(event_fd_, &one, sizeof one);
}

void RunOrchestrator::Impl::DrainStderr(process::Subprocess* proc) {
  char buf[65536];
  while (proc->stderr_fd() >= 0) {
    ssize_t n = ::read(proc->stderr_fd(), buf, sizeof buf);
    if (n > 0) {
      stderr_.Append(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) proc->CloseStderr();
    return;  // EOF or EAGAIN
  }
}

void RunOrchestrator::Impl::Supervise(process::Subprocess* proc, const std::string& request,
                                      Ingestor* ingestor, CancelToken* cancel,
                                      Clock::time_point start, OutcomeInputs* in,
                                      IngestErrorKind* error_kind) {
  std::string out = request;  // run request, then acks
  size_t out_off = 0;
  ipc::FrameReader reader;
  bool streaming = true;
  std::optional<Clock::time_point> exit_deadline;  // after stdout EOF
  std::optional<Clock::time_point> exited_at;      // executor gone, stdout still open
  std::optional<Clock::time_point> deadline;
  if (c_.timeout && c_.timeout->count() > 0) {
    deadline = start + std::chrono::duration_cast<Clock::duration>(*c_.timeout);
  }

  auto fail = [&](AbnormalCause cause, std::string message) {
    in->cause = cause;
    in->cause_message = std::move(message);
  };
  auto on_ingest_error = [&](const IngestError& e) {
    *error_kind = e.kind;
    switch (e.kind) {
      case IngestErrorKind::kPolicy:
        fail(AbnormalCause::kPolicy, e.message);
        break;
      case IngestErrorKind::kVersion:
        fail(AbnormalCause::kVersion, e.message);
        break;
      case IngestErrorKind::kStream:
      case IngestErrorKind::kDecode:
        fail(AbnormalCause::kStream, e.message);
        break;
    }
  };
  auto end_of_stream = [&]() {
    streaming = false;
    proc->CloseStdout();
    proc->CloseStdin();  // §16.1 step 5: the executor's ack reader sees EOF
    exit_deadline = Clock::now() + kExitAfterEofTimeout;
  };

  while (true) {
    if (cancel != nullptr && cancel->cancelled()) {
      const char* why = cancel->reason();
      return fail(AbnormalCause::kCancelled,
                  std::string("run canceled: ") + (why ? why : "canceled"));
    }
    auto now = Clock::now();
    if (deadline && now >= *deadline) {
      return fail(AbnormalCause::kTimeout,
                  "run timed out after " + FormatDuration(*c_.timeout) + " (--timeout)");
    }
    if (!streaming) {
      if (proc->TryWait()) return;
      if (now >= *exit_deadline) {
        return fail(AbnormalCause::kExitTimeout,
                    "executor did not exit within 30s after closing stdout");
      }
    } else if (proc->TryWait()) {
      if (!exited_at) exited_at = now;
      if (now - *exited_at > kStdoutGraceAfterExit) {
        // Something the executor started inherited stdout and keeps it open.
        process::KillRunTree("", proc->pid(), kTreeKillDeadline);
      }
    }

    pollfd fds[4];
    int nfds = 0;
    int i_cancel = -1, i_out = -1, i_err = -1, i_in = -1;
    if (cancel != nullptr) fds[i_cancel = nfds++] = {cancel->fd(), POLLIN, 0};
    if (streaming && proc->stdout_fd() >= 0) fds[i_out = nfds++] = {proc->stdout_fd(), POLLIN, 0};
    if (proc->stderr_fd() >= 0) fds[i_err = nfds++] = {proc->stderr_fd(), POLLIN, 0};
    if (proc->stdin_fd() >= 0 && out_off < out.size()) {
      fds[i_in = nfds++] = {proc->stdin_fd(), POLLOUT, 0};
    }
    int wait_ms = (streaming && !exited_at) ? 250 : 20;
    if (deadline) {
      auto left = std::chrono::duration_cast<milliseconds>(*deadline - now).count() + 1;
      wait_ms = static_cast<int>(std::min<int64_t>(wait_ms, std::max<int64_t>(left, 0)));
    }
    int rc = ::poll(fds, static_cast<nfds_t>(nfds), wait_ms);
    if (rc < 0 && errno != EINTR) {
      return fail(AbnormalCause::kStream, std::string("poll: ") + std::strerror(errno));
    }
    if (rc <= 0) continue;
    (void)i_cancel;

    if (i_in >= 0 && fds[i_in].revents != 0) {
      ssize_t n = ::write(proc->stdin_fd(), out.data() + out_off, out.size() - out_off);
      if (n > 0) {
        out_off += static_cast<size_t>(n);
        if (out_off == out.size()) out.clear(), out_off = 0;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        // EPIPE: the executor closed stdin. Acks that cannot be delivered are dropped (§8.2).
        proc->CloseStdin();
        out.clear();
        out_off = 0;
      }
    }
    if (i_err >= 0 && fds[i_err].revents != 0) DrainStderr(proc);
    if (i_out >= 0 && fds[i_out].revents != 0) {
      bool would_block = false;
      StatusOr<size_t> n = reader.ReadFrom(proc->stdout_fd(), &would_block);
      bool eof = n.ok() && *n == 0 && !would_block;
      if (!n.ok()) {
        if (auto e = ingestor->OnReadError(n.status())) return on_ingest_error(*e);
        end_of_stream();
        continue;
      }
      while (true) {
        StatusOr<std::optional<FrameBytes>> next = reader.Next();
        if (!next.ok()) {
          if (auto e = ingestor->OnReadError(next.status())) return on_ingest_error(*e);
          end_of_stream();  // after the terminal a read error is a normal end (§16.2)
          break;
        }
        if (!next->has_value()) break;
        if (auto e = ingestor->OnPayload(std::move(**next), &out)) return on_ingest_error(*e);
        if (cancel != nullptr && cancel->cancelled()) break;
      }
      if (eof && streaming) {
        Status fin = reader.Finish();
        if (!fin.ok()) {
          if (auto e = ingestor->OnReadError(fin)) return on_ingest_error(*e);
        }
        end_of_stream();
      }
    }
  }
}

}  // namespace quarry::run
