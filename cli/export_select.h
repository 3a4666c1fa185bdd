// Which committed data files `quarry export` reads: resolved through the read model (runs and
// their snapshots), never by listing partitions, so uncommitted files are never seen.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "export_format.h"
#include "quarry/read/model.h"
#include "quarry/status.h"

namespace quarry::cli {

struct ExportSelection {
  std::vector<std::string> run_ids;  // any of these (empty: no run filter)
  std::optional<std::string> job_id;
  std::optional<std::string> source, category;
  std::optional<std::string> day_from, day_to;  // inclusive, YYYY-MM-DD
  ExportKind kind = ExportKind::kItem;
};

struct ExportFile {
  size_t snapshot = 0;  // index into the scan's snapshots (their order is the output order)
  std::string path;     // store-relative
  uint64_t size_bytes = 0;
};

// `D` or `D1..D2` (inclusive) into day_from/day_to; days are YYYY-MM-DD.
Status ParseDayRange(const std::string& text, ExportSelection* sel);

// The data files of the selected runs that can hold records of the kind, in snapshot order
// (ties: path). Errors: `run not found: <id>`, `job not found: <id>`.
StatusOr<std::vector<ExportFile>> SelectExportFiles(const read::Dataset& dataset,
                                                    const ExportSelection& sel);

}  // namespace quarry::cli
