// The executor's stdout as the runtime reads it: FrameReader, then DecodeFrame and ProbeType on
// every payload (docs/ipc-format.md §2-§5).
//
// The input is a raw stdout stream (seeds: tests/fixtures/ipc/*.bin). Checked:
//   * the stream split into pieces (sizes drawn from the input's hash), delivered through Feed()
//     and through ReadFrom() on a pipe (the direct-read path for payloads over 64 KiB), yields the
//     same payloads and the same final status as the whole stream fed at once;
//   * ProbeType agrees with DecodeFrame: a payload that decodes probes to the same type.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_check.h"
#include "quarry/ipc/codec.h"

namespace {

using quarry::FrameBytes;
using quarry::ipc::FrameReader;

struct Outcome {
  std::vector<std::string> payloads;
  std::string error;  // the first error of Next(), or Finish()'s message
};

// Drains complete frames; false after an error (which is then final).
bool Drain(FrameReader& r, Outcome* out) {
  for (;;) {
    auto next = r.Next();
    if (!next.ok()) {
      out->error = next.status().message();
      return false;
    }
    if (!next->has_value()) return true;
    out->payloads.emplace_back(***next);
  }
}

void Close(FrameReader& r, Outcome* out) {
  if (!out->error.empty()) {
    // A stream error is final: Next() and Finish() repeat it.
    FUZZ_CHECK(r.Next().status().message() == out->error);
    FUZZ_CHECK(r.Finish().message() == out->error);
    return;
  }
  out->error = r.Finish().message();
}

Outcome Whole(std::string_view stream) {
  FrameReader r;
  Outcome out;
  r.Feed(stream);
  Drain(r, &out);
  Close(r, &out);
  return out;
}

uint64_t Hash(std::string_view s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Pieces of 1..64 bytes, some through a pipe so ReadFrom's paths run too.
Outcome Pieces(std::string_view stream) {
  static int fds[2] = {-1, -1};
  if (fds[0] < 0) {
    FUZZ_CHECK(::pipe2(fds, O_NONBLOCK) == 0);
  }
  FrameReader r;
  Outcome out;
  uint64_t h = Hash(stream);
  size_t pos = 0;
  bool failed = false;
  while (pos < stream.size() && !failed) {
    h = h * 6364136223846793005ull + 1442695040888963407ull;
    const size_t n = std::min<size_t>(stream.size() - pos, 1 + (h >> 58));
    std::string_view piece = stream.substr(pos, n);
    pos += n;
    if ((h >> 40) & 1) {
      FUZZ_CHECK(::write(fds[1], piece.data(), piece.size()) == static_cast<ssize_t>(n));
      size_t got = 0;
      while (got < n) {
        bool would_block = false;
        auto read = r.ReadFrom(fds[0], &would_block);
        if (!read.ok()) {
          // Only a stream already failed by Next() refuses to read.
          FUZZ_CHECK(read.status().message() == out.error);
          break;
        }
        FUZZ_CHECK(!would_block && *read > 0);
        got += *read;
        // ReadFrom reads at most the rest of a pending large payload: drain between reads.
        if (!Drain(r, &out)) break;
      }
      // Leave the pipe empty for the next input.
      char sink[64];
      while (got < n) {
        ssize_t k = ::read(fds[0], sink, sizeof sink);
        FUZZ_CHECK(k > 0);
        got += static_cast<size_t>(k);
      }
      failed = !out.error.empty();
    } else {
      r.Feed(piece);
      failed = !Drain(r, &out);
    }
  }
  Close(r, &out);
  return out;
}

std::string TypeOf(const quarry::ipc::Frame& f) {
  if (const auto* e = std::get_if<quarry::Event>(&f)) return std::string(e->Type());
  if (std::holds_alternative<quarry::Chunk>(f)) return "artifact_chunk";
  if (std::holds_alternative<quarry::FileWrite>(f)) return "file_write";
  return "run_result";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  Outcome whole = Whole(stream);
  Outcome pieces = Pieces(stream);
  FUZZ_CHECK(whole.payloads == pieces.payloads);
  FUZZ_CHECK_EQ(whole.error, pieces.error);

  for (const std::string& p : whole.payloads) {
    auto probed = quarry::ipc::ProbeType(p);
    auto frame = quarry::ipc::DecodeFrame(std::make_shared<const std::string>(p));
    if (frame.ok()) {
      FUZZ_CHECK(probed.ok());
      FUZZ_CHECK_EQ(std::string(*probed), TypeOf(*frame));
    } else {
      FUZZ_CHECK(frame.status().message().rfind("decode error: ", 0) == 0);
    }
  }
  return 0;
}
