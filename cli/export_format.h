// Row shapes and encodings of `quarry export` (docs/export.md): which records a kind
// selects, how a record becomes a flat row, and CSV/JSONL output. Pure functions, unit-tested.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "quarry/status.h"

namespace quarry::cli {

enum class ExportKind { kItem, kEvent, kArtifact, kMetrics };
enum class ExportFormat { kJsonl, kCsv };

StatusOr<ExportKind> ParseExportKind(std::string_view text);      // item|event|artifact|metrics
StatusOr<ExportFormat> ParseExportFormat(std::string_view text);  // jsonl|csv

// Whether a data file of partition `event_type` can hold records of `kind`: item -> item;
// event -> every type but item, artifact and metrics; artifact -> artifact; metrics -> metrics.
bool KindReadsEventType(ExportKind kind, std::string_view event_type);

// Whether one stored line (canonical JSONL, §4.8) is a record of `kind`, without parsing it
// where the partition already says so; artifact partitions also hold chunk records, which are
// never exported (their `data` is the artifact's bytes).
bool LineIsKind(ExportKind kind, std::string_view line);

// The flat row of one record, as ordered (column, value) pairs. Items: `run_id`, `seq`, `ts`,
// `item_type`, then the item's `data` flattened; a data key equal to one of those four is
// written as `data.<key>`. Other kinds: the whole record flattened. Nested objects flatten to
// `a.b`; arrays (and empty objects) stay one cell holding their JSON text.
using FlatRow = std::vector<std::pair<std::string, const nlohmann::json*>>;
void FlattenRecord(ExportKind kind, const nlohmann::json& record, FlatRow* row);

// One CSV cell: strings as they are, null empty, numbers and booleans as JSON text, arrays and
// objects as compact JSON; quoted per RFC 4180 when it holds `,`, `"`, CR or LF.
void AppendCsvCell(const nlohmann::json* value, std::string* out);
void AppendCsvText(std::string_view text, std::string* out);

// The CSV column set: the union of every row's columns in first-seen order.
class CsvColumns {
 public:
  void Add(const FlatRow& row);
  void AddName(const std::string& name);
  const std::vector<std::string>& names() const { return names_; }
  size_t size() const { return names_.size(); }
  // Index of `name`, or -1.
  int64_t Find(const std::string& name) const;
  std::string HeaderLine() const;  // with CRLF, as RFC 4180 has it

 private:
  std::vector<std::string> names_;
  std::map<std::string, size_t, std::less<>> index_;
};

// The columns FlattenRecord would give one stored line, added to `columns` without building the
// record (a SAX pass: the column pass of a CSV export reads every record once more). False when
// the line is not a JSON object.
bool AddLineColumns(ExportKind kind, std::string_view line, CsvColumns* columns);

// One CSV line (CRLF) of `row` under `columns`; columns the row lacks are empty cells.
void AppendCsvRow(const CsvColumns& columns, const FlatRow& row, std::string* out,
                  std::vector<const nlohmann::json*>* scratch);

}  // namespace quarry::cli
