#include "workflows/batch_aggregate.h"

#include <algorithm>

#include "quarry/json/parse.h"

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
  // Counts come from child workflows, whose results any client can forge: wrong types count as
  // 0 and sums saturate rather than overflow.
  auto add = [](int64_t* to, int64_t n) {
    if (__builtin_add_overflow(*to, n, to)) *to = n < 0 ? INT64_MIN : INT64_MAX;
  };
  add(&succeeded_, ::quarry::json::IntOr(r, "succeeded", 0));
  add(&canceled_, ::quarry::json::IntOr(r, "canceled", 0));
  const int64_t failed = ::quarry::json::IntOr(r, "failed", 0);
  int64_t listed = 0;
  if (r.contains("failed_runs") && r["failed_runs"].is_array()) {
    for (const auto& e : r["failed_runs"]) {
      AddFailed(e);
      ++listed;
    }
  }
  // runs the chunk counted but did not list
  int64_t unlisted = 0;
  if (__builtin_sub_overflow(failed, listed, &unlisted)) unlisted = 0;
  add(&failed_, unlisted);
  if (failed > listed) truncated_ = true;
  if (r.contains("failed_chunks") && r["failed_chunks"].is_array()) {
    for (const auto& c : r["failed_chunks"]) failed_chunks_.push_back(c);
  }
}

void BatchAggregate::AddFailedChunk(int64_t chunk, const std::string& workflow_id, int64_t runs,
                                    const std::string& message,
                                    const std::optional<std::vector<int64_t>>& succeeded_indices) {
  const int64_t ok = succeeded_indices
                         ? std::min<int64_t>(runs, static_cast<int64_t>(succeeded_indices->size()))
                         : 0;
  succeeded_ += ok;
  failed_ += runs - ok;
  json entry = {
      {"chunk", chunk}, {"workflow_id", workflow_id}, {"runs", runs}, {"message", message}};
  if (succeeded_indices) entry["succeeded_indices"] = *succeeded_indices;
  failed_chunks_.push_back(std::move(entry));
}

BatchAggregate BatchAggregate::FromJson(const json& j) {
  BatchAggregate a;
  if (!j.is_object()) return a;
  a.Merge(j);
  if (j.value("failed_runs_truncated", false) == true) a.truncated_ = true;
  return a;
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
