// Whole-run benchmark without the CLI: this process is the runtime (RunOrchestrator linked in), so
// getrusage(RUSAGE_SELF) is exactly the runtime's CPU and peak RSS; the synthetic executor is a
// child and not included. Prints one JSON line.
//
// Usage: run_harness --executor PATH --policy strict|buffered|streaming --store null|fs:DIR
//                    [--events N] [--bytes S] [--flush-count N] [--flush-interval-ms N]
//                    [--buffer-bytes N] [--buffer-events N] [--flush-mode M]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "null_store.h"
#include "quarry/lode/store.h"
#include "quarry/run/orchestrator.h"

namespace {

double CpuSeconds(const rusage& ru) {
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace quarry;
  std::string executor, policy = "streaming", store_spec = "null", flush_mode = "at_least_once";
  uint64_t events = 1000000, bytes = 200;
  int64_t flush_count = 10000, flush_interval_ms = 0, buffer_bytes = 0, buffer_events = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--executor")
      executor = v;
    else if (k == "--policy")
      policy = v;
    else if (k == "--store")
      store_spec = v;
    else if (k == "--events")
      events = std::stoull(v);
    else if (k == "--bytes")
      bytes = std::stoull(v);
    else if (k == "--flush-count")
      flush_count = std::stoll(v);
    else if (k == "--flush-interval-ms")
      flush_interval_ms = std::stoll(v);
    else if (k == "--buffer-bytes")
      buffer_bytes = std::stoll(v);
    else if (k == "--buffer-events")
      buffer_events = std::stoll(v);
    else if (k == "--flush-mode")
      flush_mode = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  if (executor.empty()) {
    std::fprintf(stderr, "--executor is required\n");
    return 2;
  }

  run::RunConfig c;
  c.executor_path = executor;
  c.script_path = "synthetic";
  c.meta.run_id = "bench-run";
  c.source = "bench";
  std::shared_ptr<bench::NullStore> null_store;
  if (store_spec == "null") {
    null_store = std::make_shared<bench::NullStore>();
    c.store = null_store;
  } else if (store_spec.starts_with("fs:")) {
    auto fs = lode::OpenFsStore(store_spec.substr(3));
    if (!fs.ok()) {
      std::fprintf(stderr, "%s\n", fs.status().message().c_str());
      return 2;
    }
    c.store = *fs;
  } else {
    std::fprintf(stderr, "--store must be null or fs:DIR\n");
    return 2;
  }
  c.policy.name = policy;
  c.policy.flush_mode = flush_mode;
  if (policy == "streaming") {
    c.policy.flush_count = flush_count;
    c.policy.flush_interval = std::chrono::milliseconds(flush_interval_ms);
  }
  if (policy == "buffered") {
    c.policy.buffer_bytes = buffer_bytes;
    c.policy.buffer_events = buffer_events;
    if (buffer_bytes <= 0 && buffer_events <= 0) c.policy.buffer_bytes = int64_t{1} << 40;
  }
  c.env = {{"QUARRY_SYNTH_EVENTS", std::to_string(events)},
           {"QUARRY_SYNTH_BYTES", std::to_string(bytes)}};

  const auto start = std::chrono::steady_clock::now();
  run::RunOrchestrator orch(std::move(c));
  run::CancelToken cancel;
  run::RunResult r = orch.Execute(&cancel);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Status metrics = orch.PersistMetrics(r);
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  const double cpu = CpuSeconds(self);
  const uint64_t expected = events + 1;  // the items plus run_complete
  std::printf(
      "{\"policy\":\"%s\",\"store\":\"%s\",\"events\":%llu,\"bytes\":%llu,\"outcome\":\"%s\","
      "\"events_persisted\":%llu,\"lost\":%lld,\"wall_s\":%.3f,\"events_per_s\":%.0f,"
      "\"payload_mb_per_s\":%.1f,\"runtime_cpu_s\":%.3f,\"cpu_s_per_million\":%.3f,"
      "\"peak_rss_mb\":%.1f,\"metrics_ok\":%s}\n",
      policy.c_str(), store_spec.starts_with("fs:") ? "fs" : "null",
      static_cast<unsigned long long>(events), static_cast<unsigned long long>(bytes),
      std::string(run::OutcomeName(r.outcome)).c_str(),
      static_cast<unsigned long long>(r.policy_stats.events_persisted),
      static_cast<long long>(expected) - static_cast<long long>(r.policy_stats.events_persisted),
      wall, static_cast<double>(events) / wall, static_cast<double>(events * bytes) / wall / 1e6,
      cpu, cpu / (static_cast<double>(events) / 1e6), static_cast<double>(self.ru_maxrss) / 1024.0,
      metrics.ok() ? "true" : "false");
  if (r.outcome != run::Outcome::kSuccess) {
    std::fprintf(stderr, "run failed: %s\n", r.message.c_str());
    return 1;
  }
  return 0;
}
