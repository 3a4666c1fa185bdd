// JSONL encoding of stored records (storage-and-policies.md §4.8, §4.9): the event line the Lode
// writer produces for every item, and the payload transcoding inside it.
#include "bench_support.h"
#include "lode/records.h"
#include "quarry/json/canonical_json.h"
#include "quarry/lode/run_writer.h"

namespace quarry::bench {
namespace {

lode::RunDescriptor Run() {
  lode::RunDescriptor run;
  run.run_id = std::string(kRunId);
  run.source = "bench";
  run.day = "2026-03-22";
  run.policy = "streaming";
  return run;
}

void BM_EncodeEventLine_Item200(benchmark::State& state) {
  const Event event = DecodedItem();
  const lode::RecordContext ctx(Run());
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (!lode::AppendEventLine(event, ctx, &out).ok()) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * event.raw->size()));
  state.counters["line_bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_EncodeEventLine_Item200);

void BM_MsgpackAsJson_Payload(benchmark::State& state) {
  const Event event = DecodedItem();
  const std::string_view payload = event.Get(event.payload);
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (!json::AppendMsgpackAsJson(payload, "payload", &out).ok()) state.SkipWithError("failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
}
BENCHMARK(BM_MsgpackAsJson_Payload);

void BM_EncodeChunkLine_4K(benchmark::State& state) {
  const Chunk chunk = DecodedChunk();
  const lode::RecordContext ctx(Run());
  std::string out;
  for (auto _ : state) {
    out.clear();
    lode::AppendChunkPieceLine(ctx, chunk.ArtifactId(), 1, false, 0, chunk.Data(), &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * chunk.data.size));
}
BENCHMARK(BM_EncodeChunkLine_4K);

}  // namespace
}  // namespace quarry::bench
