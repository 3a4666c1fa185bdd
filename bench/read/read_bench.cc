// The read commands at scale (issue 12 item 6; docs/benchmarks.md "Read commands").
//
//   read_bench generate <store-dir> <runs>   writes <runs> runs through the real RunWriter:
//       per run one events snapshot (3 items + a terminal, as a buffered run commits them) and one
//       metrics snapshot; every 50th run has no metrics record (running), every 20th failed, every
//       10th is a fan-out child of the run before it, runs come in jobs of 5.
//   read_bench scan <store-dir> <cache-dir|off>   one ScanDataset + Dataset build, printing the
//       wall time and the store calls (objects read) as one JSON line.
//
// Snapshots are written directly, not through `quarry run` with the synthetic executor: 10,000
// runs through processes would take most of an hour on this machine, and what is measured here is
// the reading side, which sees the same files either way.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "quarry/event.h"
#include "quarry/lode/run_writer.h"
#include "quarry/lode/store.h"
#include "quarry/read/digest_cache.h"
#include "quarry/read/model.h"

namespace {

using namespace quarry;

// A msgpack payload {"item_type": "bench", "data": {"n": <n>}} built by hand (fixstr/fixmap).
std::string ItemPayload(int n) {
  std::string p;
  p += '\x82';
  p += '\xa9';
  p += "item_type";
  p += '\xa5';
  p += "bench";
  p += '\xa4';
  p += "data";
  p += '\x81';
  p += '\xa1';
  p += 'n';
  p += static_cast<char>(n & 0x7f);
  return p;
}

void AppendStr(std::string* buf, std::string_view s, Slice* slice) {
  *buf += static_cast<char>(0xd9);
  *buf += static_cast<char>(s.size());
  slice->offset = static_cast<uint32_t>(buf->size());
  slice->size = static_cast<uint32_t>(s.size());
  *buf += s;
}

Event MakeEvent(const std::string& run_id, int64_t seq, const std::string& type,
                const std::string& ts, const std::optional<std::string>& job) {
  std::string buf;
  Event ev;
  AppendStr(&buf, "0.13.4", &ev.contract_version);
  AppendStr(&buf, run_id + "-e" + std::to_string(seq), &ev.event_id);
  AppendStr(&buf, run_id, &ev.run_id);
  AppendStr(&buf, type, &ev.type);
  AppendStr(&buf, ts, &ev.ts);
  const std::string payload = type == "item" ? ItemPayload(static_cast<int>(seq)) : "\x80";
  ev.payload.offset = static_cast<uint32_t>(buf.size());
  ev.payload.size = static_cast<uint32_t>(payload.size());
  ev.payload_keys = type == "item" ? 2 : 0;
  buf += payload;
  if (job) {
    AppendStr(&buf, *job, &ev.job_id);
    ev.has_job_id = true;
  }
  ev.seq = seq;
  ev.attempt = 1;
  ev.raw = std::make_shared<const std::string>(std::move(buf));
  return ev;
}

std::string Ts(int64_t unix_ms) {
  const time_t secs = static_cast<time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return out;
}

int Generate(const std::string& dir, int runs) {
  auto store = lode::OpenFsStore(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  const int64_t base_ms = 1764806400000;  // 2025-12-04T00:00:00Z
  for (int i = 0; i < runs; ++i) {
    lode::RunDescriptor d;
    d.run_id = "bench-" + std::to_string(i);
    d.job_id = "job-" + std::to_string(i / 5);
    d.source = "bench";
    d.category = "read";
    d.day = "2025-12-04";
    d.policy = "buffered";
    d.executor = "executor.mjs";
    d.started_at = Ts(base_ms + i * 1000LL);
    if (i % 10 == 9) d.fanout = lode::FanoutLink{"bench-" + std::to_string(i - 1), "e", 1};
    lode::RunWriter w(*store, d);
    std::vector<Event> events;
    for (int s = 1; s <= 3; ++s)
      events.push_back(MakeEvent(d.run_id, s, "item", d.started_at, d.job_id));
    const bool failed = i % 20 == 19, running = i % 50 == 49;
    if (!running) {
      events.push_back(
          MakeEvent(d.run_id, 4, failed ? "run_error" : "run_complete", d.started_at, d.job_id));
    }
    if (Status st = w.WriteEvents(events); !st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
    if (running) continue;
    const std::string outcome = failed ? "script_error" : "success";
    std::string m =
        "{\"category\":\"read\",\"day\":\"2025-12-04\",\"event_type\":\"metrics\","
        "\"events_dropped_total\":0,\"events_persisted_total\":4,"
        "\"events_received_total\":4,\"executor\":\"executor.mjs\","
        "\"executor_crash_total\":0,\"executor_launch_failure_total\":0,"
        "\"executor_launch_success_total\":1,\"ipc_decode_errors_total\":0,"
        "\"job_id\":\"" +
        *d.job_id +
        "\",\"lode_write_failure_total\":0,"
        "\"lode_write_retry_total\":0,\"lode_write_success_total\":1,\"outcome\":\"" +
        outcome + "\",\"outcome_message\":\"" + outcome +
        "\",\"policy\":\"buffered\",\"record_kind\":\"metrics\",\"run_id\":\"" + d.run_id +
        "\",\"runs_completed_total\":" + (failed ? "0" : "1") +
        ",\"runs_crashed_total\":0,\"runs_failed_total\":" + (failed ? "1" : "0") +
        ",\"runs_started_total\":1,\"source\":\"bench\",\"storage_backend\":\"fs\","
        "\"ts\":\"" +
        Ts(base_ms + i * 1000LL + 900).substr(0, 19) + "Z\"}";
    if (Status st = w.WriteMetrics(m); !st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
  }
  return 0;
}

int Scan(const std::string& dir, const std::string& cache_dir) {
  const auto start = std::chrono::steady_clock::now();
  auto store = lode::OpenFsStore(dir);
  if (!store.ok()) return 1;
  auto t0 = std::chrono::steady_clock::now();
  auto listed = lode::ListCanonicalManifests(**store, "quarry");
  const double list_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  (void)listed;
  t0 = std::chrono::steady_clock::now();
  std::unique_ptr<read::DigestCache> cache;
  if (cache_dir != "off") {
    auto c = read::DigestCache::Open(cache_dir, **store, "quarry");
    if (!c.ok()) return 1;
    cache = std::move(*c);
  }
  const double cache_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  t0 = std::chrono::steady_clock::now();
  read::ScanOptions o;
  o.cache = cache.get();
  auto scan = read::ScanDataset(**store, "quarry", o);
  if (!scan.ok()) {
    std::fprintf(stderr, "%s\n", scan.status().message().c_str());
    return 1;
  }
  const read::ScanStats stats = scan->stats;
  const double scan_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  t0 = std::chrono::steady_clock::now();
  read::Dataset d(std::move(*scan));
  const double model_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "list %.0f ms, cache open %.0f ms, scan %.0f ms, model %.0f ms\n", list_ms,
               cache_ms, scan_ms, model_ms);
  const read::Counts c = read::CountRuns(d);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
                        (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
  std::printf("{\"cpu_ms\":%.0f,", cpu_ms);
  std::printf(
      "\"wall_ms\":%.1f,\"list_calls\":%llu,\"manifests\":%llu,\"manifest_reads\":%llu,"
      "\"data_reads\":%llu,\"cache_hits\":%llu,\"runs\":%llu,\"running\":%llu,\"failed\":%llu}\n",
      ms, static_cast<unsigned long long>(stats.list_calls),
      static_cast<unsigned long long>(stats.manifests_listed),
      static_cast<unsigned long long>(stats.manifest_reads),
      static_cast<unsigned long long>(stats.data_reads),
      static_cast<unsigned long long>(stats.cache_hits), static_cast<unsigned long long>(c.total),
      static_cast<unsigned long long>(c.running), static_cast<unsigned long long>(c.failed));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "generate") return Generate(argv[2], std::atoi(argv[3]));
  if (argc == 4 && std::string(argv[1]) == "scan") return Scan(argv[2], argv[3]);
  std::fprintf(
      stderr, "usage: read_bench generate <store-dir> <runs> | scan <store-dir> <cache-dir|off>\n");
  return 2;
}
