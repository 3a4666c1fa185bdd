// The TUI's screens over a dataset written by the real RunWriter, and their layout on terminals
// of a given size (no terminal needed: layout.h is pure text).
#include <gtest/gtest.h>

#include <algorithm>

#include "quarry/lode/run_writer.h"
#include "quarry/read/model.h"
#include "read/test_dataset.h"
#include "tui/layout.h"
#include "tui/screens.h"

namespace quarry::cli::tui {
namespace {

using lode::RunDescriptor;
using lode::RunWriter;
using read::testing::Desc;
using read::testing::EnqueuePayload;
using read::testing::Ev;
using read::testing::Metrics;
using Kind = Place::Kind;

// root (succeeded: two items, a sidecar, one enqueue), its child (script_error) and a live run.
read::Dataset Crawl() {
  auto store = lode::NewMemStore();
  const auto opts = lode::testing::FastOptions();
  RunDescriptor root = Desc("root", "2026-03-22T09:00:00.000Z", "job-1");
  RunWriter rw(store, root, opts);
  EXPECT_TRUE(
      rw.WriteEvents(std::vector{Ev(root, 1, "item", "e1"), Ev(root, 2, "item", "e2")}).ok());
  EXPECT_TRUE(rw.PutSidecar("page.html", "text/html", "<html></html>").ok());
  EXPECT_TRUE(
      rw.WriteEvents(std::vector{Ev(root, 3, "enqueue", "task-a", EnqueuePayload("a"))}).ok());
  EXPECT_TRUE(rw.WriteEvents(std::vector{Ev(root, 4, "run_complete", "e4")}).ok());
  EXPECT_TRUE(rw.WriteMetrics(Metrics(root, "2026-03-22T09:00:05Z", "success", 1, 0, 0, 4)).ok());

  RunDescriptor child = Desc("child", "2026-03-22T09:00:01.000Z", "job-1");
  child.fanout = lode::FanoutLink{"root", "task-a", 1};
  RunWriter cw(store, child, opts);
  EXPECT_TRUE(cw.WriteEvents(std::vector{Ev(child, 1, "item", "c1")}).ok());
  EXPECT_TRUE(
      cw.WriteMetrics(Metrics(child, "2026-03-22T09:00:02Z", "script_error", 0, 1, 0, 1)).ok());

  RunDescriptor live = Desc("live", "2026-03-22T10:00:00.000Z", "job-2");
  RunWriter lw(store, live, opts);
  EXPECT_TRUE(lw.WriteEvents(std::vector{Ev(live, 1, "item", "l1")}).ok());

  auto scan = read::ScanDataset(*store, "quarry", {});
  EXPECT_TRUE(scan.ok()) << scan.status().message();
  return read::Dataset(std::move(*scan));
}

const Field* FieldOf(const Screen& s, std::string_view panel, std::string_view label) {
  for (const Panel& p : s.panels) {
    if (p.title != panel) continue;
    for (const Field& f : p.fields) {
      if (f.label == label) return &f;
    }
  }
  return nullptr;
}

// Lines as text, without trailing blanks.
std::vector<std::string> Texts(const std::vector<Line>& lines) {
  std::vector<std::string> out;
  for (const Line& l : lines) {
    std::string t = PlainText(l);
    t.erase(t.find_last_not_of(' ') + 1);
    out.push_back(std::move(t));
  }
  return out;
}

bool Contains(const std::vector<std::string>& lines, std::string_view text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

TEST(TuiScreens, RunsViewCountsAndListsNewestFirstWithStateTones) {
  const read::Dataset d = Crawl();
  const Screen s = BuildScreen(d, {Kind::kRuns, "", ""});
  ASSERT_EQ(s.boxes.size(), 4u);
  EXPECT_EQ(s.boxes[0].label, "Total");
  EXPECT_EQ(s.boxes[0].value, 3u);
  EXPECT_EQ(s.boxes[1].value, 1u);  // running
  EXPECT_EQ(s.boxes[2].value, 1u);  // succeeded
  EXPECT_EQ(s.boxes[3].value, 1u);  // failed
  ASSERT_EQ(s.table.rows.size(), 3u);
  EXPECT_EQ(s.table.rows[0].cells[0].value, "live");
  EXPECT_EQ(s.table.rows[0].cells[1].tone, Tone::kBusy);
  EXPECT_EQ(s.table.rows[1].cells[0].value, "child");
  EXPECT_EQ(s.table.rows[1].cells[3].value, "script_error");
  EXPECT_EQ(s.table.rows[1].cells[3].tone, Tone::kBad);
  EXPECT_EQ(s.table.rows[2].cells[2].value, "2026-03-22 09:00:00");
  EXPECT_EQ(s.table.rows[2].opens, (Place{Kind::kRun, "root", ""}));
}

TEST(TuiScreens, RunViewShowsLineageStoredDataSidecarsMetricsAndChildren) {
  const read::Dataset d = Crawl();
  const Screen root = BuildScreen(d, {Kind::kRun, "root", ""});
  ASSERT_TRUE(root.problem.empty());
  ASSERT_NE(FieldOf(root, "Run", "State"), nullptr);
  EXPECT_EQ(FieldOf(root, "Run", "State")->value, "succeeded");
  EXPECT_EQ(FieldOf(root, "Run", "State")->tone, Tone::kGood);
  EXPECT_EQ(FieldOf(root, "Run", "Outcome")->value, "success");
  EXPECT_EQ(FieldOf(root, "Run", "Job ID")->value, "job-1");
  ASSERT_NE(FieldOf(root, "Stored by event type", "item"), nullptr);
  EXPECT_EQ(FieldOf(root, "Stored by event type", "item")->value.rfind("1 file, ", 0), 0u)
      << FieldOf(root, "Stored by event type", "item")->value;
  EXPECT_NE(FieldOf(root, "Stored by event type", "enqueue"), nullptr);
  ASSERT_NE(FieldOf(root, "Sidecar files", "page.html"), nullptr);
  EXPECT_EQ(FieldOf(root, "Sidecar files", "page.html")->value, "13 B  text/html");
  ASSERT_NE(FieldOf(root, "Metrics", "events_received_total"), nullptr);
  EXPECT_EQ(FieldOf(root, "Metrics", "events_received_total")->value, "4");
  ASSERT_EQ(root.table.rows.size(), 1u);
  EXPECT_EQ(root.table.rows[0].opens, (Place{Kind::kRun, "child", ""}));

  const Screen child = BuildScreen(d, {Kind::kRun, "child", ""});
  EXPECT_EQ(FieldOf(child, "Run", "Enqueued By")->value, "root");
  EXPECT_EQ(FieldOf(child, "Run", "Fan-out Depth")->value, "1");
  EXPECT_EQ(FieldOf(child, "Run", "Outcome")->tone, Tone::kBad);
  EXPECT_EQ(child.table.empty, "(no children)");
  EXPECT_TRUE(child.table.rows.empty());

  const Screen live = BuildScreen(d, {Kind::kRun, "live", ""});
  EXPECT_EQ(FieldOf(live, "Run", "State")->tone, Tone::kBusy);
  EXPECT_EQ(FieldOf(live, "Run", "Outcome"), nullptr);  // not ended
}

TEST(TuiScreens, JobsTasksExecutorsAndMetricsViews) {
  const read::Dataset d = Crawl();
  const Screen jobs = BuildScreen(d, {Kind::kJobs, "", ""});
  ASSERT_EQ(jobs.table.rows.size(), 2u);
  const Screen job = BuildScreen(d, {Kind::kJob, "job-1", ""});
  ASSERT_EQ(job.table.rows.size(), 2u);  // root and child
  const Screen task = BuildScreen(d, {Kind::kTask, "task-a", ""});
  EXPECT_EQ(FieldOf(task, "Task", "Run ID")->value, "child");
  EXPECT_EQ(FieldOf(task, "Task", "Enqueued By")->value, "root");
  EXPECT_EQ(FieldOf(task, "Task", "State")->tone, Tone::kBad);
  const Screen executors = BuildScreen(d, {Kind::kExecutors, "", ""});
  ASSERT_EQ(executors.table.rows.size(), 1u);
  EXPECT_EQ(executors.boxes[2].label, "Idle");
  const Screen metrics = BuildScreen(d, {Kind::kMetrics, "", ""});
  ASSERT_TRUE(metrics.problem.empty()) << metrics.problem;
  ASSERT_NE(FieldOf(metrics, "Events", "events_received_total"), nullptr);
  EXPECT_EQ(FieldOf(metrics, "Events", "events_received_total")->value, "5");  // 4 + 1
  const Screen one = BuildScreen(d, {Kind::kMetrics, "child", ""});
  EXPECT_EQ(FieldOf(one, "Events", "events_received_total")->value, "1");
}

TEST(TuiScreens, AMissingEntityIsTheCommandsError) {
  const read::Dataset d = Crawl();
  EXPECT_EQ(BuildScreen(d, {Kind::kRun, "nope", ""}).problem, "run not found: nope");
  EXPECT_EQ(BuildScreen(d, {Kind::kJob, "nope", ""}).problem, "job not found: nope");
  EXPECT_EQ(BuildScreen(d, {Kind::kTask, "nope", ""}).problem, "task not found: nope");
  EXPECT_EQ(BuildScreen(d, {Kind::kExecutor, "nope", ""}).problem, "executor not found: nope");
}

TEST(TuiScreens, DisplayTimeAndBytes) {
  EXPECT_EQ(DisplayTime("2026-03-22T09:00:05.123456789Z"), "2026-03-22 09:00:05");
  EXPECT_EQ(DisplayTime("2026-03-22T11:00:05+02:00"), "2026-03-22 09:00:05");
  EXPECT_EQ(DisplayTime("not a time"), "not a time");
  EXPECT_EQ(DisplayBytes(13), "13 B");
  EXPECT_EQ(DisplayBytes(1536), "1.5 KiB");
  EXPECT_EQ(DisplayBytes(5u * 1024 * 1024), "5.0 MiB");
}

TEST(TuiLayout, ExactlyTheTerminalsSizeAtEveryWidth) {
  const read::Dataset d = Crawl();
  for (Kind kind : {Kind::kRuns, Kind::kRun, Kind::kMetrics}) {
    const Screen s = BuildScreen(d, {kind, kind == Kind::kRun ? "root" : "", ""});
    for (int width : {20, 40, 80, 132}) {
      for (bool unicode : {true, false}) {
        LayoutOptions o;
        o.width = width;
        o.height = 16;
        o.unicode = unicode;
        o.status = "refreshed 12:00:00 UTC";
        const std::vector<Line> lines = Layout(s, o);
        ASSERT_EQ(lines.size(), 16u);
        for (const Line& l : lines) {
          EXPECT_LE(Columns(PlainText(l)), static_cast<size_t>(width)) << PlainText(l);
        }
        const std::string footer = PlainText(lines.back());
        EXPECT_NE(footer.find("q quit"), std::string::npos) << footer;
        if (width >= 80 && !s.table.rows.empty()) {
          EXPECT_NE(footer.find("enter open"), std::string::npos) << footer;
        }
      }
    }
  }
}

TEST(TuiLayout, RunsViewAt80Columns) {
  const read::Dataset d = Crawl();
  LayoutOptions o;
  o.width = 80;
  o.height = 14;
  o.selected = 1;
  o.unicode = false;
  o.status = "refreshed 12:00:00 UTC";
  const std::vector<std::string> got = Texts(Layout(BuildScreen(d, {Kind::kRuns, "", ""}), o));
  const std::vector<std::string> want = {
      " Quarry  Runs",
      "",
      "+- Total ---------+ +- Running -------+ +- Succeeded -----+ +- Failed --------+",
      "|        3        | |        1        | |        1        | |        1        |",
      "+-----------------+ +-----------------+ +-----------------+ +-----------------+",
      "",
      "Runs, newest first (3)",
      "RUN ID  STATE      STARTED AT           OUTCOME       SOURCE",
      "live    running    2026-03-22 10:00:00                shop",
  };
  ASSERT_EQ(got.size(), 14u);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << "line " << i;
  EXPECT_EQ(got[9].rfind("child   failed     2026-03-22 09:00:01  script_error  shop", 0), 0u)
      << got[9];
  EXPECT_EQ(got[13].rfind(" j/k move  enter open  r refresh  q quit", 0), 0u) << got[13];
  EXPECT_NE(got[13].find("refreshed 12:00:00 UTC"), std::string::npos);
}

TEST(TuiLayout, TheTableScrollsToTheSelectionAndMarksIt) {
  Screen s;
  s.title = "Many";
  s.table.title = "Rows";
  s.table.header = {"N"};
  for (int i = 0; i < 40; ++i) s.table.rows.push_back({{Field{"", std::to_string(i)}}, {}});
  LayoutOptions o;
  o.width = 60;
  o.height = 12;
  o.selected = 25;
  const size_t visible = VisibleTableRows(s, o);
  ASSERT_GT(visible, 3u);
  const std::vector<Line> lines = Layout(s, o);
  const std::vector<std::string> texts = Texts(lines);
  EXPECT_TRUE(Contains(texts, "Rows (40)  " + std::to_string(26 - visible + 1) + "-26"));
  // The selected row is drawn reversed across the whole width; no other row is.
  size_t reversed = 0;
  for (const Line& l : lines) {
    if (l.empty() || !l.front().reverse || PlainText(l).rfind(" ", 0) == 0) continue;
    ++reversed;
    EXPECT_EQ(PlainText(l).rfind("25", 0), 0u);
    EXPECT_EQ(Columns(PlainText(l)), 60u);
  }
  EXPECT_EQ(reversed, 1u);
  EXPECT_FALSE(Contains(texts, "esc back"));
  o.can_go_back = true;
  EXPECT_TRUE(Contains(Texts(Layout(s, o)), "esc back"));
}

TEST(TuiLayout, AProblemAndAFailedRefreshAreShownInRed) {
  Screen s;
  s.title = "Run x";
  s.problem = "run not found: x";
  LayoutOptions o;
  o.status = "refresh failed: gone";
  o.status_bad = true;
  const std::vector<Line> lines = Layout(s, o);
  bool problem = false;
  for (const Line& l : lines) {
    for (const Segment& seg : l) {
      if (seg.text.find("run not found: x") != std::string::npos) problem = seg.tone == Tone::kBad;
    }
  }
  EXPECT_TRUE(problem);
  const Line& footer = lines.back();
  EXPECT_TRUE(std::any_of(footer.begin(), footer.end(), [](const Segment& seg) {
    return seg.text.find("refresh failed: gone") != std::string::npos && seg.tone == Tone::kBad;
  }));
}

}  // namespace
}  // namespace quarry::cli::tui
