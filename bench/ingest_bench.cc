// The runtime's per-frame path: frame reader -> DecodeFrame -> envelope checks (run::Ingestor) ->
// policy -> a sink that discards; per policy. Then the policies alone, shaped like the original's
// published policy benchmarks (storage-and-policies.md §9.1).
#include <optional>

#include "bench_support.h"
#include "quarry/policy/policy.h"
#include "run/ingestor.h"

namespace quarry::bench {
namespace {

policy::PolicyConfig Config(const std::string& name, const std::string& mode = "at_least_once") {
  policy::PolicyConfig c;
  c.name = name;
  c.flush_mode = mode;
  if (name == "buffered") c.buffer_bytes = int64_t{1} << 62;
  if (name == "streaming") c.flush_count = 1000;
  return c;
}

std::unique_ptr<policy::Policy> MakePolicy(const policy::PolicyConfig& c, BatchSink* sink) {
  return std::move(policy::NewPolicy(c, sink)).value();
}

constexpr int kStreamEvents = 10000;

// kStreamEvents framed `item` events of ~200 bytes, seq 1..kStreamEvents.
const std::string& ItemStream() {
  static const std::string stream = [] {
    std::string frame = FrameBuilder::ItemFrame(kRunId, 1, "item", 1, 200);
    std::string s;
    for (uint32_t seq = 1; seq <= kStreamEvents; ++seq) {
      FrameBuilder::SetSeq(&frame, seq);
      s += frame;
    }
    return s;
  }();
  return stream;
}

void BM_Baseline_CopyStream(benchmark::State& state) {
  const std::string& stream = ItemStream();
  std::string dst(stream.size(), '\0');
  for (auto _ : state) {
    std::memcpy(dst.data(), stream.data(), stream.size());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kStreamEvents);
}
BENCHMARK(BM_Baseline_CopyStream);

// One iteration = one short run: a fresh policy and ingestor, kStreamEvents frames, the end-of-run
// flush and close.
void BM_ReadDecodeValidateIngest(benchmark::State& state, const std::string& name,
                                 const std::string& mode) {
  const std::string& stream = ItemStream();
  const run::RunMeta meta{std::string(kRunId), 1, std::nullopt, std::nullopt};
  std::string acks;
  for (auto _ : state) {
    NullSink sink;
    auto policy = MakePolicy(Config(name, mode), &sink);
    run::Ingestor ingestor(meta, policy.get(), nullptr, nullptr, nullptr);
    ipc::FrameReader reader;
    reader.Feed(stream);
    while (true) {
      auto next = reader.Next();
      if (!next.ok() || !next->has_value()) break;
      if (ingestor.OnPayload(std::move(**next), &acks)) state.SkipWithError("ingest failed");
    }
    if (!policy->Flush().ok() || !policy->Close().ok()) state.SkipWithError("flush failed");
    if (sink.written() != kStreamEvents) state.SkipWithError("events lost");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kStreamEvents);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK_CAPTURE(BM_ReadDecodeValidateIngest, strict, "strict", "at_least_once");
BENCHMARK_CAPTURE(BM_ReadDecodeValidateIngest, buffered, "buffered", "at_least_once");
BENCHMARK_CAPTURE(BM_ReadDecodeValidateIngest, buffered_two_phase, "buffered", "two_phase");
BENCHMARK_CAPTURE(BM_ReadDecodeValidateIngest, streaming_count1000, "streaming", "at_least_once");

// --- Policies alone (one op = one ingest of an already decoded event) ---

void BM_Policy_StrictIngestEvent(benchmark::State& state) {
  NullSink sink;
  auto policy = MakePolicy(Config("strict"), &sink);
  const Event event = DecodedItem();
  for (auto _ : state) benchmark::DoNotOptimize(policy->IngestEvent(event));
}
BENCHMARK(BM_Policy_StrictIngestEvent);

void BM_Policy_StrictIngestChunk(benchmark::State& state) {
  NullSink sink;
  auto policy = MakePolicy(Config("strict"), &sink);
  const Chunk chunk = DecodedChunk();
  for (auto _ : state) benchmark::DoNotOptimize(policy->IngestChunk(chunk));
}
BENCHMARK(BM_Policy_StrictIngestChunk);

// Append only, as in the original; the buffer is flushed outside the timing every 100,000 events
// so memory stays bounded.
void BM_Policy_BufferedIngest(benchmark::State& state, const std::string& mode) {
  NullSink sink;
  auto policy = MakePolicy(Config("buffered", mode), &sink);
  const Event event = DecodedItem();
  int64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(policy->IngestEvent(event));
    if (++n % 100000 == 0) {
      state.PauseTiming();
      (void)policy->Flush();
      state.ResumeTiming();
    }
  }
}
BENCHMARK_CAPTURE(BM_Policy_BufferedIngest, at_least_once, "at_least_once");
BENCHMARK_CAPTURE(BM_Policy_BufferedIngest, chunks_first, "chunks_first");
BENCHMARK_CAPTURE(BM_Policy_BufferedIngest, two_phase, "two_phase");

// One op = `batch` ingests plus one flush.
void BM_Policy_BufferedIngestFlush(benchmark::State& state) {
  NullSink sink;
  auto policy = MakePolicy(Config("buffered"), &sink);
  const Event event = DecodedItem();
  const int64_t batch = state.range(0);
  for (auto _ : state) {
    for (int64_t i = 0; i < batch; ++i) benchmark::DoNotOptimize(policy->IngestEvent(event));
    benchmark::DoNotOptimize(policy->Flush());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * batch);
}
BENCHMARK(BM_Policy_BufferedIngestFlush)->Arg(10)->Arg(100)->Arg(1000);

// Buffer full (limit 10 items); each op drops one incoming `log` (drop logging is below the
// benchmark's log level).
void BM_Policy_BufferedDropUnderPressure(benchmark::State& state) {
  NullSink sink;
  policy::PolicyConfig c = Config("buffered");
  c.buffer_bytes = 0;
  c.buffer_events = 10;
  auto policy = MakePolicy(c, &sink);
  const Event item = DecodedItem();
  for (int i = 0; i < 10; ++i) (void)policy->IngestEvent(item);
  const Event log_event = DecodedItem(200, "log");
  for (auto _ : state) benchmark::DoNotOptimize(policy->IngestEvent(log_event));
}
BENCHMARK(BM_Policy_BufferedDropUnderPressure);

void BM_Policy_StreamingIngestEvent(benchmark::State& state) {
  NullSink sink;
  policy::PolicyConfig c = Config("streaming");
  c.flush_count = 1000000;  // capacity flushes only
  auto policy = MakePolicy(c, &sink);
  const Event event = DecodedItem();
  for (auto _ : state) benchmark::DoNotOptimize(policy->IngestEvent(event));
}
BENCHMARK(BM_Policy_StreamingIngestEvent);

void BM_Policy_StreamingIngestChunk(benchmark::State& state) {
  NullSink sink;
  policy::PolicyConfig c = Config("streaming");
  c.flush_count = 1000000;
  auto policy = MakePolicy(c, &sink);
  const Chunk chunk = DecodedChunk();
  for (auto _ : state) benchmark::DoNotOptimize(policy->IngestChunk(chunk));
}
BENCHMARK(BM_Policy_StreamingIngestChunk);

// One op = one ingest; a count flush every `count` events.
void BM_Policy_StreamingCountFlush(benchmark::State& state) {
  NullSink sink;
  policy::PolicyConfig c = Config("streaming");
  c.flush_count = state.range(0);
  auto policy = MakePolicy(c, &sink);
  const Event event = DecodedItem();
  for (auto _ : state) benchmark::DoNotOptimize(policy->IngestEvent(event));
}
BENCHMARK(BM_Policy_StreamingCountFlush)->Arg(10)->Arg(50)->Arg(100)->Arg(500);

}  // namespace
}  // namespace quarry::bench
