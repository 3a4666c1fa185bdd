#include "read/read_commands.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>

#include "output/render.h"
#include "quarry/ipc/frame_format.h"
#include "quarry/log.h"
#include "quarry/version.h"
#include "read/load_dataset.h"
#include "read/proxy_commands.h"
#include "read/responses.h"
#include "tui/app.h"

namespace quarry::cli {
namespace {

using nlohmann::ordered_json;
using output::Family;

// The flags of one leaf command; CLI11 binds to them, so they live as long as the app.
struct Leaf {
  CLI::App* cmd = nullptr;
  output::OutputFlags out;
  LocationFlags location;
  std::string id;      // the positional argument of inspect
  std::string run_id;  // stats metrics, debug ipc
  std::string source;  // stats metrics
  std::string state;   // list runs
  int64_t limit = 0;   // list runs
  bool verbose = false;
  // What `--tui` opens on (inspect and stats only).
  tui::Place::Kind tui_view = tui::Place::Kind::kRuns;
};

std::deque<Leaf>& Leaves() {
  static std::deque<Leaf> leaves;
  return leaves;
}

using Body = std::function<StatusOr<ordered_json>(const read::Dataset&)>;

void Fail(const std::string& message, int* exit_code) {
  log::Error(message);
  *exit_code = 1;
}

// Output checks, the optional pre-check (a missing positional, a bad --state), then the dataset
// (bounded by the read timeout), then the rendered response on stdout.
void Execute(Leaf& leaf, Family family, const std::function<Status()>& precheck, const Body& body,
             int* exit_code) {
  StatusOr<output::OutputChoice> choice = output::ChooseOutput(leaf.out, family);
  if (!choice.ok()) return Fail(choice.status().message(), exit_code);
  if (precheck) {
    if (Status st = precheck(); !st.ok()) return Fail(st.message(), exit_code);
  }
  StatusOr<LocationFlags> location = ResolveLocation(*leaf.cmd, leaf.location);
  if (!location.ok()) return Fail(location.status().message(), exit_code);
  if (choice->tui) {
    const tui::Place start{leaf.tui_view, leaf.id.empty() ? leaf.run_id : leaf.id, leaf.source};
    Status st = tui::RunTui(*location, start, output::ColorEnabled(leaf.out.no_color, true));
    if (!st.ok()) log::Error(st.message());
    // A reload may still be running on a detached thread: end without unwinding past it.
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(st.ok() ? 0 : 1);
  }
  ordered_json response;
  Status st = WithDataset(*location, [&](const read::Dataset& d) -> Status {
    QUARRY_ASSIGN_OR_RETURN(response, body(d));
    return Status::Ok();
  });
  if (st.code() == StatusCode::kDeadlineExceeded) {
    // The scan may still hold references into this frame: end here, without unwinding.
    log::Error(st.message());
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(1);
  }
  if (!st.ok()) return Fail(st.message(), exit_code);
  const std::string text = output::Render(response, choice->format, choice->color);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (leaf.cmd->get_name() == "runs" && leaf.cmd->get_parent()->get_name() == "list" &&
      response.size() > 100 && leaf.limit == 0 && ::isatty(STDERR_FILENO) == 1) {
    std::fprintf(stderr, "Hint: %zu runs listed; pass --limit N to see only the newest N\n",
                 response.size());
  }
}

Leaf& NewLeaf(CLI::App* parent, const char* name, const char* description, bool dataset) {
  Leaf& leaf = Leaves().emplace_back();
  leaf.cmd = parent->add_subcommand(name, description);
  output::AddOutputFlags(leaf.cmd, &leaf.out);
  if (dataset) AddLocationFlags(leaf.cmd, &leaf.location);
  return leaf;
}

std::function<Status()> Required(const Leaf& leaf, const char* what) {
  return [&leaf, what]() -> Status {
    if (leaf.id.empty()) return InvalidArgumentError(std::string(what) + " required");
    return Status::Ok();
  };
}

template <typename T>
StatusOr<ordered_json> Found(const T* entity, const char* what, const std::string& id,
                             ordered_json (*response)(const T&)) {
  if (!entity) return NotFoundError(std::string(what) + " not found: " + id);
  return response(*entity);
}

void AddInspect(CLI::App* app, int* exit_code) {
  CLI::App* inspect = app->add_subcommand("inspect", "Show one run, job, task or executor");
  inspect->require_subcommand(1);
  struct Entity {
    const char* name;
    const char* arg;
    const char* what;
    const char* help;
    Body (*body)(const Leaf&);
    tui::Place::Kind view;
  };
  static const Entity kEntities[] = {
      {"run", "run-id", "run", "Show a run: state, outcome, sidecar files, fan-out link, children",
       [](const Leaf& l) -> Body {
         return [&l](const read::Dataset& d) {
           return Found(d.FindRun(l.id), "run", l.id, &RunResponse);
         };
       },
       tui::Place::Kind::kRun},
      {"job", "job-id", "job", "Show a job: state and its runs",
       [](const Leaf& l) -> Body {
         return [&l](const read::Dataset& d) {
           return Found(d.FindJob(l.id), "job", l.id, &JobResponse);
         };
       },
       tui::Place::Kind::kJob},
      {"task", "task-id", "task", "Show a task (one enqueue event): state, child run, target",
       [](const Leaf& l) -> Body {
         return [&l](const read::Dataset& d) {
           return Found(d.FindTask(l.id), "task", l.id, &TaskResponse);
         };
       },
       tui::Place::Kind::kTask},
      {"executor", "executor-id", "executor", "Show an executor: state and when it was last seen",
       [](const Leaf& l) -> Body {
         return [&l](const read::Dataset& d) {
           return Found(d.FindExecutor(l.id), "executor", l.id, &ExecutorResponse);
         };
       },
       tui::Place::Kind::kExecutor},
  };
  for (const Entity& e : kEntities) {
    Leaf& leaf = NewLeaf(inspect, e.name, e.help, true);
    leaf.tui_view = e.view;
    leaf.cmd->add_option(e.arg, leaf.id, std::string("The ") + e.arg);
    leaf.cmd->callback([&leaf, &e, exit_code] {
      Execute(leaf, Family::kInspect, Required(leaf, e.arg), e.body(leaf), exit_code);
    });
  }
}

void AddStats(CLI::App* app, int* exit_code) {
  CLI::App* stats = app->add_subcommand("stats", "Counts over the dataset, and run metrics");
  stats->require_subcommand(1);
  struct Aggregate {
    const char* name;
    const char* help;
    read::Counts (*count)(const read::Dataset&);
    ordered_json (*response)(const read::Counts&);
    tui::Place::Kind view;
  };
  static const Aggregate kAggregates[] = {
      {"runs", "Runs: total, running, succeeded, failed", &read::CountRuns, &CountsResponse,
       tui::Place::Kind::kRuns},
      {"jobs", "Jobs: total, running, succeeded, failed", &read::CountJobs, &CountsResponse,
       tui::Place::Kind::kJobs},
      {"tasks", "Tasks: total, running, succeeded, failed", &read::CountTasks, &CountsResponse,
       tui::Place::Kind::kTasks},
      {"executors", "Executors: total, running, idle, failed", &read::CountExecutors,
       &ExecutorCountsResponse, tui::Place::Kind::kExecutors},
  };
  for (const Aggregate& a : kAggregates) {
    Leaf& leaf = NewLeaf(stats, a.name, a.help, true);
    leaf.tui_view = a.view;
    leaf.cmd->callback([&leaf, &a, exit_code] {
      Execute(
          leaf, Family::kStats, nullptr,
          [&a](const read::Dataset& d) -> StatusOr<ordered_json> { return a.response(a.count(d)); },
          exit_code);
    });
  }
  Leaf& metrics =
      NewLeaf(stats, "metrics", "Metrics of one run (--run-id), or summed over all runs", true);
  metrics.tui_view = tui::Place::Kind::kMetrics;
  metrics.cmd->add_option("--run-id", metrics.run_id, "The newest metrics record of this run");
  metrics.cmd->add_option("--source", metrics.source, "Only runs of this source");
  metrics.cmd->callback([&metrics, exit_code] {
    Execute(
        metrics, Family::kStats, nullptr,
        [&metrics](const read::Dataset& d) -> StatusOr<ordered_json> {
          StatusOr<ordered_json> view = read::MetricsView(d, metrics.run_id, metrics.source);
          if (!view.ok()) {
            return Status(view.status().code(),
                          "failed to read metrics from Lode: " + view.status().message());
          }
          return view;
        },
        exit_code);
  });
}

void AddList(CLI::App* app, int* exit_code) {
  CLI::App* list = app->add_subcommand("list", "List runs, jobs or executors, newest first");
  list->require_subcommand(1);
  Leaf& runs = NewLeaf(list, "runs", "Runs: run_id, state, started_at", true);
  runs.cmd->add_option("--state", runs.state,
                       "Only runs in this state: running, failed, succeeded");
  runs.cmd->add_option("--limit", runs.limit, "At most this many runs (0 = all)")->default_str("0");
  runs.cmd->callback([&runs, exit_code] {
    Execute(
        runs, Family::kList,
        [&runs]() -> Status {
          if (runs.state.empty() || runs.state == "running" || runs.state == "failed" ||
              runs.state == "succeeded") {
            return runs.limit < 0
                       ? InvalidArgumentError("invalid --limit " + std::to_string(runs.limit) +
                                              ": must be 0 or more")
                       : Status::Ok();
          }
          return InvalidArgumentError("invalid state: \"" + runs.state +
                                      "\" (must be running, failed, or succeeded)");
        },
        [&runs](const read::Dataset& d) -> StatusOr<ordered_json> {
          return RunListResponse(d, runs.state, runs.limit);
        },
        exit_code);
  });
  Leaf& jobs = NewLeaf(list, "jobs", "Jobs: job_id, state", true);
  jobs.cmd->callback([&jobs, exit_code] {
    Execute(
        jobs, Family::kList, nullptr,
        [](const read::Dataset& d) -> StatusOr<ordered_json> { return JobListResponse(d); },
        exit_code);
  });
  Leaf& executors = NewLeaf(list, "executors", "Executors: executor_id, state", true);
  executors.cmd->callback([&executors, exit_code] {
    Execute(
        executors, Family::kList, nullptr,
        [](const read::Dataset& d) -> StatusOr<ordered_json> { return ExecutorListResponse(d); },
        exit_code);
  });
}

void AddDebug(CLI::App* app, int* exit_code) {
  CLI::App* debug = app->add_subcommand("debug", "Diagnostics computed from the dataset");
  debug->require_subcommand(1);
  Leaf& ipc =
      NewLeaf(debug, "ipc", "IPC counters and recent errors from the metrics records", true);
  ipc.cmd->add_flag("--verbose", ipc.verbose, "Add up to 10 recent errors, newest first");
  ipc.cmd->add_option("--run-id", ipc.run_id, "Only this run");
  ipc.cmd->callback([&ipc, exit_code] {
    Execute(
        ipc, Family::kDebug, nullptr,
        [&ipc](const read::Dataset& d) -> StatusOr<ordered_json> {
          return read::IpcView(d, ipc.run_id, ipc.verbose);
        },
        exit_code);
  });
}

void AddVersion(CLI::App* app, int* exit_code) {
  Leaf& leaf = NewLeaf(app, "version", "Print version information", false);
  leaf.cmd->callback([&leaf, exit_code] {
    StatusOr<output::OutputChoice> choice = output::ChooseOutput(leaf.out, Family::kVersion);
    if (!choice.ok()) return Fail(choice.status().message(), exit_code);
    ordered_json v{{"version", ProductVersion()},
                   {"commit", GitCommit()},
                   {"contract_version", ipc::kContractVersion}};
    const std::string text = output::Render(v, choice->format, choice->color);
    std::fwrite(text.data(), 1, text.size(), stdout);
  });
}

}  // namespace

void AddReadCommands(CLI::App* app, int* exit_code) {
  AddInspect(app, exit_code);
  AddStats(app, exit_code);
  AddList(app, exit_code);
  AddDebug(app, exit_code);
  AddProxyReadCommands(app, exit_code);
  AddVersion(app, exit_code);
}

}  // namespace quarry::cli
