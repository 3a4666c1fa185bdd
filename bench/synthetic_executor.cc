// A stand-in executor for whole-run benchmarks: reads the run request, then emits N `item` events
// of S payload bytes (valid envelopes, seq 1..N) as fast as the pipe takes them, then
// `run_complete` and `run_result`, and exits 0. No browser, no Node: what is measured is the
// runtime's side of the pipe.
//
// Usage: synthetic_executor <script-path-ignored>
// Environment: QUARRY_SYNTH_EVENTS (default 1000000), QUARRY_SYNTH_BYTES (default 200),
// QUARRY_SYNTH_RUSAGE (optional path: this process's CPU seconds and peak RSS are written there at
// exit, so the driver can subtract them from the runtime's totals).
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "frame_builder.h"

namespace {

using quarry::bench::FrameBuilder;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

bool WriteAll(const std::string& buf) {
  size_t off = 0;
  while (off < buf.size()) {
    ssize_t n = ::write(1, buf.data() + off, buf.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// The first line of stdin is the run request; only run_id and attempt matter here.
std::string ReadRequestLine() {
  std::string line;
  char c;
  while (::read(0, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

std::string JsonString(const std::string& json, const std::string& key) {
  size_t k = json.find("\"" + key + "\":\"");
  if (k == std::string::npos) return "";
  size_t start = k + key.size() + 4;
  return json.substr(start, json.find('"', start) - start);
}

int64_t JsonInt(const std::string& json, const std::string& key) {
  size_t k = json.find("\"" + key + "\":");
  return k == std::string::npos ? 1 : std::strtoll(json.c_str() + k + key.size() + 3, nullptr, 10);
}

void ReportRusage() {
  const char* path = std::getenv("QUARRY_SYNTH_RUSAGE");
  if (path == nullptr || *path == '\0') return;
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  if (FILE* f = std::fopen(path, "w")) {
    std::fprintf(f, "%.6f %ld\n",
                 static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
                 ru.ru_maxrss);
    std::fclose(f);
  }
}

}  // namespace

int main() {
  const std::string request = ReadRequestLine();
  const std::string run_id = JsonString(request, "run_id");
  const int64_t attempt = JsonInt(request, "attempt");
  if (run_id.empty()) {
    std::fprintf(stderr, "Error: run request without run_id\n");
    return 3;
  }
  const uint64_t events = EnvOr("QUARRY_SYNTH_EVENTS", 1000000);
  const uint64_t bytes = EnvOr("QUARRY_SYNTH_BYTES", 200);

  std::string frame = FrameBuilder::ItemFrame(run_id, attempt, "item", 1, bytes);
  std::string out;
  constexpr size_t kBatch = 256 * 1024;  // one write(2) per batch keeps syscalls out of the way
  out.reserve(kBatch + frame.size());
  for (uint64_t seq = 1; seq <= events; ++seq) {
    FrameBuilder::SetSeq(&frame, static_cast<uint32_t>(seq));
    out += frame;
    if (out.size() >= kBatch) {
      if (!WriteAll(out)) return 2;
      out.clear();
    }
  }
  out += FrameBuilder::EmptyEventFrame(run_id, attempt, "run_complete",
                                       static_cast<uint32_t>(events + 1));
  out += FrameBuilder::RunResultFrame();
  if (!WriteAll(out)) return 2;
  ReportRusage();
  return 0;
}
