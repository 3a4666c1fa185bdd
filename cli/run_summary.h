// The stdout result block of `quarry run` (cli-and-integrations.md §4.5).
#pragma once

#include <chrono>
#include <string>

#include "quarry/lode/open_store.h"
#include "quarry/policy/policy.h"
#include "quarry/run/run_result.h"

namespace quarry::cli {

// Where the run's data went (issue 12 item 4), printed last.
struct DataLocation {
  lode::StorageLocation storage;  // as the storage flags take it (an fs path made absolute)
  std::string storage_root;       // for people: the directory, or s3://bucket/prefix
  std::string dataset;            // "quarry"
  std::string source, category;
};

// The last block: dataset path, the run's partition, and the `quarry inspect run` and
// `quarry export` commands (with the storage flags they need) to look at it.
std::string FormatDataLocation(const run::RunResult& result, const DataLocation& where);

std::string FormatRunSummary(const run::RunResult& result, const policy::PolicyConfig& policy,
                             std::chrono::steady_clock::duration wall_time,
                             const DataLocation& where);

}  // namespace quarry::cli
