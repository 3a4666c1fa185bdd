// Serialized views of a RunResult: the metrics record stored in Lode (storage-and-policies.md
// §4.9), the --report JSON (executor-contract.md §19) and the human summary lines (§7.3).
#pragma once

#include <string>

#include "quarry/lode/run_writer.h"
#include "quarry/run/run_result.h"

namespace quarry::run {

// One canonical JSON object (sorted keys, no LF). `ts` is RFC 3339 UTC with seconds.
std::string MetricsRecordJson(const RunResult& result, const lode::RunDescriptor& run,
                              const std::string& ts);

// Indented (2 spaces) JSON plus a trailing LF. `exit_code` is the process exit code.
std::string ReportJson(const RunResult& result, int exit_code);

// Aligned "name: value" lines in the order of §7.2, one events_dropped{type=...} line per dropped
// type, then "policy=... executor=... storage_backend=...".
std::string MetricsSummaryText(const RunMetrics& metrics);

}  // namespace quarry::run
