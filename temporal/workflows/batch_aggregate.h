// The result of a batch workflow, kept small (it is one payload in history):
//   {total, succeeded, failed, canceled, failed_runs: [{index, job_id, run_id, outcome, attempts,
//    message}], failed_runs_truncated?, failed_chunks?: [{chunk, workflow_id, runs, message,
//    succeeded_indices?}]}
// failed_runs lists at most kMaxFailedRunsListed entries; the counts are always complete.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace quarry::temporal {

class BatchAggregate {
 public:
  void AddSucceeded() { ++succeeded_; }
  void AddCanceled() { ++canceled_; }
  // One failed run; run_id is empty for a run that never started (invalid template).
  void AddFailed(nlohmann::json entry);
  // Folds in the aggregate of a finished chunk.
  void Merge(const nlohmann::json& chunk_result);
  // A chunk that ended without an aggregate (failed, terminated...): its runs count as failed,
  // except those Lode shows succeeded (`succeeded_indices`, global indices; nullopt: not read).
  void AddFailedChunk(int64_t chunk, const std::string& workflow_id, int64_t runs,
                      const std::string& message,
                      const std::optional<std::vector<int64_t>>& succeeded_indices = std::nullopt);

  int64_t done() const { return succeeded_ + failed_ + canceled_; }
  nlohmann::json ToJson(int64_t total) const;
  // The inverse of ToJson, for a LargeBatchExtraction that continued as new (wrong types count
  // as 0, like Merge).
  static BatchAggregate FromJson(const nlohmann::json& j);

 private:
  int64_t succeeded_ = 0;
  int64_t failed_ = 0;
  int64_t canceled_ = 0;
  nlohmann::json failed_runs_ = nlohmann::json::array();
  bool truncated_ = false;
  nlohmann::json failed_chunks_ = nlohmann::json::array();
};

}  // namespace quarry::temporal
