#include "tui/screens.h"

#include <cstdio>
#include <ctime>

#include "quarry/read/scan.h"
#include "quarry/redact.h"

namespace quarry::cli::tui {
namespace {

using nlohmann::ordered_json;
using Kind = Place::Kind;

// Values come from the dataset: a control character would move the cursor.
std::string Clean(std::string_view text) { return PrintableValue(text, 512); }

Field Plain(std::string label, std::string_view value) {
  return {std::move(label), Clean(value), Tone::kNone};
}

Field Stateful(std::string label, std::string_view key, std::string_view value) {
  return {std::move(label), Clean(value), output::StateTone(key, value)};
}

Field Cell(std::string_view value) { return Plain("", value); }
Field StateCell(std::string_view value) { return Stateful("", "state", value); }

std::string Count(uint64_t n) { return std::to_string(n); }

std::vector<Box> CountBoxes(const read::Counts& c, bool executors) {
  std::vector<Box> boxes{{"Total", c.total, Tone::kNone}, {"Running", c.running, Tone::kBusy}};
  if (executors) {
    boxes.push_back({"Idle", c.idle, Tone::kGood});
  } else {
    boxes.push_back({"Succeeded", c.succeeded, Tone::kGood});
  }
  boxes.push_back({"Failed", c.failed, Tone::kBad});
  return boxes;
}

Row RunRow(const read::Run& r) {
  const std::string_view state = read::Name(r.state);
  return {{Cell(r.run_id), StateCell(state), Cell(DisplayTime(r.started_at)),
           Stateful("", "outcome", r.outcome.value_or("")), Cell(r.source)},
          Place{Kind::kRun, r.run_id, {}}};
}

const std::vector<std::string> kRunHeader{"RUN ID", "STATE", "STARTED AT", "OUTCOME", "SOURCE"};

Screen RunsScreen(const read::Dataset& d) {
  Screen s;
  s.title = "Runs";
  s.boxes = CountBoxes(read::CountRuns(d), false);
  s.table.title = "Runs, newest first";
  s.table.header = kRunHeader;
  for (const read::Run& r : d.runs()) s.table.rows.push_back(RunRow(r));
  return s;
}

Screen JobsScreen(const read::Dataset& d) {
  Screen s;
  s.title = "Jobs";
  s.boxes = CountBoxes(read::CountJobs(d), false);
  s.table.title = "Jobs, newest first";
  s.table.header = {"JOB ID", "STATE", "RUNS"};
  for (const read::Job& j : d.jobs()) {
    s.table.rows.push_back(
        {{Cell(j.job_id), StateCell(read::Name(j.state)), Cell(Count(j.run_ids.size()))},
         Place{Kind::kJob, j.job_id, {}}});
  }
  return s;
}

Screen TasksScreen(const read::Dataset& d) {
  Screen s;
  s.title = "Tasks";
  s.boxes = CountBoxes(read::CountTasks(d), false);
  s.table.title = "Tasks, newest first";
  s.table.header = {"TASK ID", "STATE", "RUN ID", "ENQUEUED BY"};
  for (const read::Task& t : d.tasks()) {
    s.table.rows.push_back({{Cell(t.task_id), StateCell(read::Name(t.state)),
                             Cell(t.run_id.value_or("")), Cell(t.enqueued_by)},
                            Place{Kind::kTask, t.task_id, {}}});
  }
  return s;
}

Screen ExecutorsScreen(const read::Dataset& d) {
  Screen s;
  s.title = "Executors";
  s.boxes = CountBoxes(read::CountExecutors(d), true);
  s.table.title = "Executors, most recently seen first";
  s.table.header = {"EXECUTOR ID", "STATE", "LAST SEEN"};
  for (const read::Executor& e : d.executors()) {
    s.table.rows.push_back({{Cell(e.executor_id), StateCell(read::Name(e.state)),
                             Cell(DisplayTime(e.last_seen_at.value_or("")))},
                            Place{Kind::kExecutor, e.executor_id, {}}});
  }
  return s;
}

std::string ScalarText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// The counters of one metrics record or of the `stats metrics` view, in sections (D11.19).
std::vector<Panel> MetricsPanels(const ordered_json& m) {
  Panel lifecycle{"Lifecycle", {}}, events{"Events", {}}, executor{"Executor", {}},
      storage{"Storage", {}}, dims{"Dimensions", {}}, flushes{"Flush triggers", {}};
  for (const auto& [key, value] : m.items()) {
    if (key == "dropped_by_type" && value.is_object()) {
      for (const auto& [type, n] : value.items()) {
        events.fields.push_back(Plain("dropped: " + type, ScalarText(n)));
      }
    } else if (key == "flush_triggers" && value.is_object()) {
      for (const auto& [trigger, n] : value.items()) {
        flushes.fields.push_back(Plain(trigger, ScalarText(n)));
      }
    } else if (key.rfind("runs_", 0) == 0 && key != "runs") {
      lifecycle.fields.push_back(Plain(key, ScalarText(value)));
    } else if (key.rfind("events_", 0) == 0) {
      events.fields.push_back(Plain(key, ScalarText(value)));
    } else if (key.rfind("executor_", 0) == 0 || key.rfind("ipc_", 0) == 0) {
      executor.fields.push_back(Plain(key, ScalarText(value)));
    } else if (key.rfind("lode_", 0) == 0) {
      storage.fields.push_back(Plain(key, ScalarText(value)));
    } else if (value.is_primitive()) {
      dims.fields.push_back(
          Plain(key, key == "ts" ? DisplayTime(ScalarText(value)) : ScalarText(value)));
    }
  }
  std::vector<Panel> out;
  for (Panel* p : {&lifecycle, &events, &executor, &storage, &flushes, &dims}) {
    if (!p->fields.empty()) out.push_back(std::move(*p));
  }
  return out;
}

Screen MetricsScreen(const read::Dataset& d, const Place& place) {
  Screen s;
  s.title = place.id.empty() ? "Metrics" : "Metrics of run " + Clean(place.id);
  if (!place.source.empty()) s.title += " (source " + Clean(place.source) + ")";
  StatusOr<ordered_json> view = read::MetricsView(d, place.id, place.source);
  if (!view.ok()) {
    s.problem = "failed to read metrics from Lode: " + view.status().message();
    return s;
  }
  s.panels = MetricsPanels(*view);
  return s;
}

Screen RunScreen(const read::Dataset& d, const std::string& id) {
  Screen s;
  s.title = "Run " + Clean(id);
  const read::Run* r = d.FindRun(id);
  if (!r) {
    s.problem = "run not found: " + id;
    return s;
  }
  Panel run{"Run", {}};
  run.fields = {Plain("Run ID", r->run_id),
                Plain("Job ID", r->job_id.value_or("")),
                Stateful("State", "state", read::Name(r->state)),
                Plain("Attempt", Count(static_cast<uint64_t>(r->attempt))),
                Plain("Policy", r->policy),
                Plain("Started At", DisplayTime(r->started_at))};
  if (r->parent_run_id) run.fields.push_back(Plain("Parent Run", *r->parent_run_id));
  if (r->ended_at) {
    run.fields.push_back(Plain("Ended At", DisplayTime(*r->ended_at)));
    run.fields.push_back(Stateful("Outcome", "outcome", r->outcome.value_or("")));
    if (r->message && !r->message->empty()) run.fields.push_back(Plain("Message", *r->message));
  }
  if (r->fanout) {
    run.fields.push_back(Plain("Enqueued By", r->fanout->enqueued_by_run_id));
    run.fields.push_back(Plain("Fan-out Depth", Count(static_cast<uint64_t>(r->fanout->depth))));
  }
  run.fields.push_back(Plain("Source", r->source + " / " + r->category));
  s.panels.push_back(std::move(run));

  Panel stored{"Stored by event type", {}};
  for (const auto& [type, tally] : r->stored_by_type) {
    const char* unit = tally.files == 1 ? " file, " : " files, ";
    stored.fields.push_back(Plain(type, Count(tally.files) + unit + DisplayBytes(tally.bytes)));
  }
  if (!stored.fields.empty()) s.panels.push_back(std::move(stored));

  if (!r->sidecar_files.empty()) {
    Panel files{"Sidecar files", {}};
    for (const auto& f : r->sidecar_files) {
      files.fields.push_back(Plain(f.filename, DisplayBytes(f.size) + "  " + f.content_type));
    }
    s.panels.push_back(std::move(files));
  }
  if (r->metrics) {
    ordered_json counters;
    for (const auto& [key, value] : r->metrics->items()) {
      if (key.size() > 6 && key.compare(key.size() - 6, 6, "_total") == 0) counters[key] = value;
      if (key == "dropped_by_type") counters[key] = value;
    }
    Panel metrics{"Metrics", {}};
    for (Panel& p : MetricsPanels(counters)) {
      for (Field& f : p.fields) metrics.fields.push_back(std::move(f));
    }
    if (!metrics.fields.empty()) s.panels.push_back(std::move(metrics));
  }
  s.table.title = "Children";
  s.table.header = kRunHeader;
  s.table.empty = "(no children)";
  for (const std::string& child : r->children) {
    if (const read::Run* c = d.FindRun(child)) s.table.rows.push_back(RunRow(*c));
  }
  return s;
}

Screen JobScreen(const read::Dataset& d, const std::string& id) {
  Screen s;
  s.title = "Job " + Clean(id);
  const read::Job* j = d.FindJob(id);
  if (!j) {
    s.problem = "job not found: " + id;
    return s;
  }
  s.panels.push_back({"Job",
                      {Plain("Job ID", j->job_id), Stateful("State", "state", read::Name(j->state)),
                       Plain("Runs", Count(j->run_ids.size()))}});
  s.table.title = "Runs";
  s.table.header = kRunHeader;
  for (const std::string& run : j->run_ids) {
    if (const read::Run* r = d.FindRun(run)) s.table.rows.push_back(RunRow(*r));
  }
  return s;
}

Screen TaskScreen(const read::Dataset& d, const std::string& id) {
  Screen s;
  s.title = "Task " + Clean(id);
  const read::Task* t = d.FindTask(id);
  if (!t) {
    s.problem = "task not found: " + id;
    return s;
  }
  s.panels.push_back(
      {"Task",
       {Plain("Task ID", t->task_id), Stateful("State", "state", read::Name(t->state)),
        Plain("Run ID", t->run_id.value_or("")),
        Plain("Target", t->target ? ScalarText(*t->target) : ""),
        Plain("Enqueued By", t->enqueued_by)}});
  s.table.title = "Runs";
  s.table.header = kRunHeader;
  for (const std::optional<std::string>& run : {t->run_id, std::optional(t->enqueued_by)}) {
    if (!run) continue;
    if (const read::Run* r = d.FindRun(*run)) s.table.rows.push_back(RunRow(*r));
  }
  return s;
}

Screen ExecutorScreen(const read::Dataset& d, const std::string& id) {
  Screen s;
  s.title = "Executor " + Clean(id);
  const read::Executor* e = d.FindExecutor(id);
  if (!e) {
    s.problem = "executor not found: " + id;
    return s;
  }
  s.panels.push_back(
      {"Executor",
       {Plain("Executor ID", e->executor_id), Stateful("State", "state", read::Name(e->state)),
        Plain("Last Seen", DisplayTime(e->last_seen_at.value_or("")))}});
  s.table.empty = "";
  return s;
}

}  // namespace

Screen BuildScreen(const read::Dataset& d, const Place& place) {
  switch (place.kind) {
    case Kind::kRuns:
      return RunsScreen(d);
    case Kind::kJobs:
      return JobsScreen(d);
    case Kind::kTasks:
      return TasksScreen(d);
    case Kind::kExecutors:
      return ExecutorsScreen(d);
    case Kind::kMetrics:
      return MetricsScreen(d, place);
    case Kind::kRun:
      return RunScreen(d, place.id);
    case Kind::kJob:
      return JobScreen(d, place.id);
    case Kind::kTask:
      return TaskScreen(d, place.id);
    case Kind::kExecutor:
      return ExecutorScreen(d, place.id);
  }
  return {};
}

std::string DisplayTime(std::string_view rfc3339) {
  const std::optional<int64_t> ns = read::ParseRfc3339Nanos(rfc3339);
  if (!ns) return std::string(rfc3339);
  const std::time_t secs = static_cast<std::time_t>(*ns / 1000000000 - (*ns % 1000000000 < 0));
  std::tm tm{};
  if (!gmtime_r(&secs, &tm)) return std::string(rfc3339);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string DisplayBytes(uint64_t bytes) {
  static const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  return buf;
}

}  // namespace quarry::cli::tui
