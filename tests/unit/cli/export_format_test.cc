#include "export_format.h"

#include <gtest/gtest.h>

namespace quarry::cli {
namespace {

using nlohmann::json;

std::string Csv(const std::vector<json>& records, ExportKind kind) {
  CsvColumns columns;
  FlatRow row;
  for (const json& r : records) {
    FlattenRecord(kind, r, &row);
    columns.Add(row);
  }
  std::string out = columns.HeaderLine();
  std::vector<const json*> cells;
  for (const json& r : records) {
    FlattenRecord(kind, r, &row);
    AppendCsvRow(columns, row, &out, &cells);
  }
  return out;
}

json Item(int seq, json data, const char* type = "product") {
  return json{{"record_kind", "event"},
              {"run_id", "r1"},
              {"seq", seq},
              {"ts", "2026-12-04T01:00:00Z"},
              {"type", "item"},
              {"payload", {{"item_type", type}, {"data", std::move(data)}}}};
}

TEST(ExportFormat, ItemsFlattenToTheUnionOfColumnsInFirstSeenOrder) {
  std::string csv =
      Csv({Item(1, {{"title", "A"}, {"price", {{"amount", 5}, {"currency", "EUR"}}}}),
           Item(2, {{"title", "B, \"quoted\"\nline"}, {"tags", {"x", "y"}}, {"seq", 9}})},
          ExportKind::kItem);
  EXPECT_EQ(csv,
            "run_id,seq,ts,item_type,price.amount,price.currency,title,data.seq,tags\r\n"
            "r1,1,2026-12-04T01:00:00Z,product,5,EUR,A,,\r\n"
            "r1,2,2026-12-04T01:00:00Z,product,,,\"B, "
            "\"\"quoted\"\"\nline\",9,\"[\"\"x\"\",\"\"y\"\"]\"\r\n");
}

TEST(ExportFormat, TheSaxColumnPassGivesFlattenRecordsColumns) {
  std::vector<json> records = {
      Item(
          1,
          {{"title", "A"}, {"price", {{"amount", 5}, {"currency", "EUR"}}}, {"e", json::object()}}),
      Item(2, {{"tags", {"x", {{"deep", 1}}}}, {"seq", 9}, {"n", nullptr}}),
      Item(3, json::array({1, 2})), Item(4, json::object()), Item(5, {{"run_id", {{"a", true}}}})};
  for (ExportKind kind : {ExportKind::kItem, ExportKind::kMetrics}) {
    CsvColumns dom, sax;
    FlatRow row;
    for (const json& r : records) {
      FlattenRecord(kind, r, &row);
      dom.Add(row);
      EXPECT_TRUE(AddLineColumns(kind, r.dump(), &sax));
    }
    EXPECT_EQ(sax.names(), dom.names());
  }
  CsvColumns bad;
  EXPECT_FALSE(AddLineColumns(ExportKind::kEvent, "{\"a\":", &bad));
  EXPECT_FALSE(AddLineColumns(ExportKind::kEvent, "[1]", &bad));
}

TEST(ExportFormat, CellsNullBoolFloatEmptyObject) {
  std::string out;
  json values = json::array({nullptr, true, 1.5, json::object(), "plain", ""});
  for (const json& v : values) {
    AppendCsvCell(&v, &out);
    out += '|';
  }
  EXPECT_EQ(out, "|true|1.5|{}|plain||");
}

TEST(ExportFormat, OtherKindsFlattenTheWholeRecord) {
  json metrics{{"record_kind", "metrics"}, {"run_id", "r1"}, {"dropped_by_type", {{"log", 2}}}};
  EXPECT_EQ(Csv({metrics}, ExportKind::kMetrics),
            "dropped_by_type.log,record_kind,run_id\r\n2,metrics,r1\r\n");
}

TEST(ExportFormat, KindsAndPartitions) {
  EXPECT_TRUE(KindReadsEventType(ExportKind::kItem, "item"));
  EXPECT_FALSE(KindReadsEventType(ExportKind::kItem, "log"));
  EXPECT_TRUE(KindReadsEventType(ExportKind::kEvent, "log"));
  EXPECT_TRUE(KindReadsEventType(ExportKind::kEvent, "run_complete"));
  EXPECT_FALSE(KindReadsEventType(ExportKind::kEvent, "item"));
  EXPECT_FALSE(KindReadsEventType(ExportKind::kEvent, "artifact"));
  EXPECT_FALSE(KindReadsEventType(ExportKind::kEvent, "metrics"));
  EXPECT_TRUE(KindReadsEventType(ExportKind::kArtifact, "artifact"));
  EXPECT_TRUE(KindReadsEventType(ExportKind::kMetrics, "metrics"));
  EXPECT_FALSE(LineIsKind(ExportKind::kArtifact,
                          R"({"artifact_id":"a","data":"QQ==","record_kind":"artifact_chunk"})"));
  EXPECT_TRUE(LineIsKind(ExportKind::kArtifact, R"({"name":"x","record_kind":"artifact_event"})"));
}

TEST(ExportFormat, ParseErrorsNameTheChoices) {
  EXPECT_EQ(ParseExportKind("items").status().message(),
            "invalid kind: \"items\" (must be item, event, artifact, or metrics)");
  EXPECT_EQ(ParseExportFormat("json").status().message(),
            "invalid format: \"json\" (must be jsonl or csv)");
}

}  // namespace
}  // namespace quarry::cli
