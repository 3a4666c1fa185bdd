#include "workflows/batch_aggregate.h"

#include "workflows/batch_params.h"

namespace quarry::temporal {

using nlohmann::json;

void BatchAggregate::AddFailed(json entry) {
  ++failed_;
  if (static_cast<int64_t>(failed_runs_.size()) < kMaxFailedRunsListed) {
    failed_runs_.push_back(std::move(entry));
  } else {
    truncated_ = true;
  }
}

void BatchAggregate::Merge(const json& r) {
  if (!r.is_object()) return;
  succeeded_ += r.value("succeeded", int64_t{0});
  canceled_ += r.value("canceled", int64_t{0});
  const int64_t failed = r.value("failed", int64_t{0});
  int64_t listed = 0;
  if (r.contains("failed_runs") && r["failed_runs"].is_array()) {
    for (const auto& e : r["failed_runs"]) {
      AddFailed(e);
      ++listed;
    }
  }
  failed_ += failed - listed;  // runs the chunk counted but did not list
  if (failed > listed) truncated_ = true;
  if (r.contains("failed_chunks") && r["failed_chunks"].is_array()) {
    for (const auto& c : r["failed_chunks"]) failed_chunks_.push_back(c);
  }
}

void BatchAggregate::AddFailedChunk(int64_t chunk, const std::string& workflow_id, int64_t runs,
                                    const std::string& message) {
  failed_ += runs;
  failed_chunks_.push_back(
      {{"chunk", chunk}, {"workflow_id", workflow_id}, {"runs", runs}, {"message", message}});
}

json BatchAggregate::ToJson(int64_t total) const {
  json j = {{"total", total},
            {"succeeded", succeeded_},
            {"failed", failed_},
            {"canceled", canceled_},
            {"failed_runs", failed_runs_}};
  if (truncated_) j["failed_runs_truncated"] = true;
  if (!failed_chunks_.empty()) j["failed_chunks"] = failed_chunks_;
  return j;
}

}  // namespace quarry::temporal
