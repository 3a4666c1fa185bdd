#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "quarry/ipc/codec.h"

namespace quarry::ipc {
namespace {

// One read(2) asks for at least this much: the size of a default Linux pipe buffer.
constexpr size_t kReadChunk = 64 * 1024;

// A payload larger than this that is not yet fully buffered gets its own buffer and the rest of
// it is read straight into that, instead of passing through buf_ and being copied again.
constexpr size_t kDirectReadThreshold = 64 * 1024;

uint32_t LoadPrefix(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

}  // namespace

FrameReader::FrameReader() = default;

void FrameReader::MakeRoom(size_t n) {
  if (cap_ - end_ >= n) return;
  const size_t live = end_ - begin_;
  if (cap_ - live >= n && begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, live);
  } else {
    size_t cap = cap_ < kReadChunk ? kReadChunk : cap_;
    while (cap - live < n) cap *= 2;
    auto grown = std::make_unique_for_overwrite<char[]>(cap);
    if (live > 0) std::memcpy(grown.get(), buf_.get() + begin_, live);
    buf_ = std::move(grown);
    cap_ = cap;
  }
  begin_ = 0;
  end_ = live;
}

void FrameReader::Append(const char* data, size_t n) {
  if (n == 0) return;
  MakeRoom(n);
  std::memcpy(buf_.get() + end_, data, n);
  end_ += n;
}

void FrameReader::Feed(std::string_view bytes) {
  if (pending_) {
    const size_t take = std::min(bytes.size(), pending_->size() - pending_filled_);
    std::memcpy(pending_->data() + pending_filled_, bytes.data(), take);
    pending_filled_ += take;
    bytes.remove_prefix(take);
  }
  Append(bytes.data(), bytes.size());
}

StatusOr<size_t> FrameReader::ReadFrom(int fd, bool* would_block) {
  *would_block = false;
  if (!error_.ok()) return error_;
  char* dst;
  size_t want;
  const bool direct = pending_ && pending_filled_ < pending_->size();
  if (direct) {
    // Only the rest of this payload: the next frame's bytes must land in buf_.
    dst = pending_->data() + pending_filled_;
    want = pending_->size() - pending_filled_;
  } else {
    MakeRoom(kReadChunk);
    dst = buf_.get() + end_;
    want = cap_ - end_;
  }
  const ssize_t n = ::read(fd, dst, want);
  if (n < 0) {
    const int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
      *would_block = true;
      return size_t{0};
    }
    return IOError(std::string("read: ") + std::strerror(err));
  }
  const auto got = static_cast<size_t>(n);
  if (direct) {
    pending_filled_ += got;
  } else {
    end_ += got;
  }
  return got;
}

StatusOr<std::optional<FrameBytes>> FrameReader::Next() {
  if (!error_.ok()) return error_;
  if (!pending_len_) {
    if (end_ - begin_ < kLengthPrefixSize) return std::optional<FrameBytes>();
    const uint32_t len = LoadPrefix(buf_.get() + begin_);
    if (len > kMaxPayloadSize) {
      error_ = InvalidArgumentError("frame too large: length prefix " + std::to_string(len) +
                                    " exceeds " + std::to_string(kMaxPayloadSize));
      return error_;
    }
    begin_ += kLengthPrefixSize;
    pending_len_ = len;
  }
  const uint32_t len = *pending_len_;
  if (pending_) {
    if (pending_filled_ < len) return std::optional<FrameBytes>();
    FrameBytes out = std::move(pending_);
    pending_.reset();
    pending_filled_ = 0;
    pending_len_.reset();
    ++frames_read_;
    return std::optional<FrameBytes>(std::move(out));
  }
  const size_t avail = end_ - begin_;
  if (avail >= len) {
    auto out = std::make_shared<const std::string>(buf_.get() + begin_, len);
    begin_ += len;
    if (begin_ == end_) begin_ = end_ = 0;
    pending_len_.reset();
    ++frames_read_;
    return std::optional<FrameBytes>(std::move(out));
  }
  if (len > kDirectReadThreshold) {
    pending_ = std::make_shared<std::string>(len, '\0');
    std::memcpy(pending_->data(), buf_.get() + begin_, avail);
    pending_filled_ = avail;
    begin_ = end_ = 0;
  }
  return std::optional<FrameBytes>();
}

Status FrameReader::Finish() const {
  if (!error_.ok()) return error_;
  const size_t buffered = end_ - begin_;
  if (pending_len_) {
    const size_t got = pending_ ? pending_filled_ : buffered;
    return DataLossError("truncated frame: got " + std::to_string(got) + " of " +
                         std::to_string(*pending_len_) + " payload bytes");
  }
  if (buffered == 0) return Status::Ok();
  if (buffered < kLengthPrefixSize) {
    return DataLossError("truncated frame: got " + std::to_string(buffered) + " of " +
                         std::to_string(kLengthPrefixSize) + " length-prefix bytes");
  }
  // Next() was not drained; describe the first frame still in the buffer.
  const uint32_t len = LoadPrefix(buf_.get() + begin_);
  if (len > kMaxPayloadSize) {
    return InvalidArgumentError("frame too large: length prefix " + std::to_string(len) +
                                " exceeds " + std::to_string(kMaxPayloadSize));
  }
  if (buffered - kLengthPrefixSize < len) {
    return DataLossError("truncated frame: got " + std::to_string(buffered - kLengthPrefixSize) +
                         " of " + std::to_string(len) + " payload bytes");
  }
  return FailedPreconditionError("complete frames left unread before Finish()");
}

}  // namespace quarry::ipc
