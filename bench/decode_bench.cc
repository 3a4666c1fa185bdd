// Frame decoding (executor-contract.md §6) against a memcpy of the same bytes, and the type probe
// (storage-and-policies.md §9.2).
#include "bench_support.h"

namespace quarry::bench {
namespace {

// Baseline: copying the payload into a fresh buffer, which the frame reader does once per frame
// anyway.
void BM_Baseline_CopyPayload(benchmark::State& state) {
  const std::string bytes(static_cast<size_t>(state.range(0)), 'x');
  std::string dst(bytes.size(), '\0');
  for (auto _ : state) {
    std::memcpy(dst.data(), bytes.data(), bytes.size());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Baseline_CopyPayload)->Arg(200)->Arg(4096 + 60);

void BM_DecodeFrame_Item200(benchmark::State& state) {
  FrameBytes payload = PayloadOf(FrameBuilder::ItemFrame(kRunId, 1, "item", 1, 200));
  for (auto _ : state) {
    auto frame = ipc::DecodeFrame(payload);
    benchmark::DoNotOptimize(frame);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload->size()));
  state.counters["payload_bytes"] = static_cast<double>(payload->size());
}
BENCHMARK(BM_DecodeFrame_Item200);

void BM_DecodeFrame_Chunk4K(benchmark::State& state) {
  FrameBytes payload =
      PayloadOf(FrameBuilder::ChunkFrame("art-1", 1, false, std::string(4096, 'c')));
  for (auto _ : state) {
    auto frame = ipc::DecodeFrame(payload);
    benchmark::DoNotOptimize(frame);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload->size()));
  state.counters["payload_bytes"] = static_cast<double>(payload->size());
}
BENCHMARK(BM_DecodeFrame_Chunk4K);

void BM_ProbeType_Item200(benchmark::State& state) {
  FrameBytes payload = PayloadOf(FrameBuilder::ItemFrame(kRunId, 1, "item", 1, 200));
  for (auto _ : state) {
    auto type = ipc::ProbeType(*payload);
    benchmark::DoNotOptimize(type);
  }
}
BENCHMARK(BM_ProbeType_Item200);

void BM_ProbeType_Chunk4K(benchmark::State& state) {
  FrameBytes payload =
      PayloadOf(FrameBuilder::ChunkFrame("art-1", 1, false, std::string(4096, 'c')));
  for (auto _ : state) {
    auto type = ipc::ProbeType(*payload);
    benchmark::DoNotOptimize(type);
  }
}
BENCHMARK(BM_ProbeType_Chunk4K);

// The frame reader splitting a stream of 200-byte item frames (one payload copy each).
void BM_FrameReader_Item200(benchmark::State& state) {
  std::string frame = FrameBuilder::ItemFrame(kRunId, 1, "item", 1, 200);
  std::string stream;
  for (int i = 0; i < 1000; ++i) stream += frame;
  for (auto _ : state) {
    ipc::FrameReader reader;
    reader.Feed(stream);
    while (true) {
      auto next = reader.Next();
      if (!next.ok() || !next->has_value()) break;
      benchmark::DoNotOptimize(**next);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_FrameReader_Item200);

}  // namespace
}  // namespace quarry::bench
