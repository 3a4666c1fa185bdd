// The workflow input parsers (temporal/workflows/extraction_params.*, batch_params.*): the input
// of RunQuarryExtraction, QuarryExtractionWorkflow and the three batch workflows, entered through
// the door they come in by, a json/plain payload (client/payload.cc).
//
// The input is the payload's data (seeds: the workflow and activity inputs of the recorded
// histories, fuzz/corpus/make_seeds.py). Checked: no crash; every refusal has a message; a run
// template QuarryExtractionWorkflow accepts is one ValidateRunTemplate accepts and, with the
// lineage the workflow adds, an ExtractionParams the activity accepts; every run a batch accepts
// merges with its defaults or is refused with its index named.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "client/payload.h"
#include "fuzz_check.h"
#include "workflows/batch_params.h"
#include "workflows/extraction_params.h"

namespace {

using nlohmann::json;
namespace qt = quarry::temporal;

void CheckBatch(const json& in, qt::BatchKind kind) {
  auto b = qt::ParseBatchParams(in, kind);
  if (!b.ok()) {
    FUZZ_CHECK(!b.status().message().empty());
    return;
  }
  if (!b->runs) return;
  for (size_t i = 0; i < b->runs->size(); ++i) {
    auto merged = qt::MergeRun(b->defaults, (*b->runs)[i], static_cast<int64_t>(i));
    if (!merged.ok()) {
      FUZZ_CHECK(merged.status().message().rfind("run " + std::to_string(i), 0) == 0);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qt::common_pb::Payload payload;
  (*payload.mutable_metadata())[qt::kEncodingKey] = qt::kJsonPlain;
  payload.set_data(reinterpret_cast<const char*>(data), size);
  auto decoded = qt::DecodePayload(payload);
  if (!decoded.ok() || !decoded->has_value()) return 0;
  const json& in = **decoded;

  auto params = qt::ParseExtractionParams(in);
  if (!params.ok()) FUZZ_CHECK(!params.status().message().empty());

  auto wf = qt::ParseExtractionWorkflowParams(in);
  if (wf.ok()) {
    FUZZ_CHECK(qt::ValidateRunTemplate(wf->run_template).ok());
    json attempt = wf->run_template;
    attempt["run_id"] = "run-1";
    attempt["attempt"] = 1;
    auto activity = qt::ParseExtractionParams(attempt);
    if (!activity.ok()) FUZZ_CHECK_EQ(activity.status().message(), "(accepted)");
  } else {
    FUZZ_CHECK(!wf.status().message().empty());
  }
  if (qt::ValidateRunTemplate(in).ok()) FUZZ_CHECK(in.is_object());

  CheckBatch(in, qt::BatchKind::kBatch);
  CheckBatch(in, qt::BatchKind::kChunk);
  CheckBatch(in, qt::BatchKind::kLarge);
  return 0;
}
