#include "cli/crawl_command.h"

#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/connection_flags.h"
#include "cli/workflow_client.h"
#include "workflows/crawl_params.h"

namespace quarry::temporal::cli {

using nlohmann::json;

StatusOr<json> BuildCrawlInput(const RunFlags& run, const CrawlShape& shape) {
  if (shape.depth < 1) return InvalidArgumentError("--depth must be 1 or more");
  if (shape.max_runs < 1) return InvalidArgumentError("--max-runs must be 1 or more");
  QUARRY_ASSIGN_OR_RETURN(json input, BuildWorkflowInput(run));
  input["depth"] = shape.depth;
  input["max_runs"] = shape.max_runs;
  input["parallel"] = shape.parallel;
  if (shape.continue_as_new_after > 0) {
    input["continue_as_new_after"] = shape.continue_as_new_after;
  }
  std::error_code ec;
  const std::filesystem::path cwd = std::filesystem::current_path(ec);
  if (!ec) input["target_dir"] = cwd.lexically_normal().string();
  auto checked = ParseCrawlParams(input);
  if (!checked.ok()) {
    // Name the flag, not the JSON field, for the limits this command sets.
    std::string msg = checked.status().message();
    for (auto [field, flag] : {std::pair{"\"depth\"", "--depth"},
                               {"\"max_runs\"", "--max-runs"},
                               {"\"parallel\"", "--parallel"},
                               {"\"continue_as_new_after\"", "--continue-as-new-after"}}) {
      if (msg.rfind(field, 0) == 0) msg = flag + msg.substr(std::string(field).size());
    }
    return InvalidArgumentError(msg);
  }
  return input;
}

namespace {

struct CrawlFlags {
  Target target;
  std::string task_queue = kTaskQueueDefault;
  RunFlags run;
  AnnotationFlags annotation_flags;
  CrawlShape shape;
  bool wait = false;
};

int Crawl(CrawlFlags& f) {
  auto input = BuildCrawlInput(f.run, f.shape);
  if (!input.ok()) {
    PrintError(input.status().message());
    return 2;
  }
  auto annotations = ParseAnnotations(f.annotation_flags);
  if (!annotations.ok()) {
    PrintError(annotations.status().message());
    return 2;
  }
  auto svc = WorkflowService::Connect(f.target.conn);
  if (!svc.ok()) {
    PrintError(svc.status().message());
    return 2;
  }
  Status started = StartWorkflow(svc->get(), &f.target, kCrawlWorkflow, f.task_queue, *input,
                                 "quarry-crawl", *annotations);
  if (!started.ok()) {
    PrintError(started.message());
    return 2;
  }
  if (!f.wait) {
    PrintJson({{"workflow_id", f.target.workflow_id},
               {"run_id", f.target.run_id},
               {"workflow_type", kCrawlWorkflow}});
    return 0;
  }
  std::fprintf(stderr,
               "started %s %s (depth %lld, max runs %lld, parallel %lld); waiting for "
               "its summary\n",
               kCrawlWorkflow, f.target.workflow_id.c_str(), static_cast<long long>(f.shape.depth),
               static_cast<long long>(f.shape.max_runs), static_cast<long long>(f.shape.parallel));
  return WaitAndPrint(svc->get(), f.target);
}

}  // namespace

void AddCrawlCommand(CLI::App* app, int* exit_code) {
  auto flags = std::make_shared<CrawlFlags>();
  CrawlFlags& f = *flags;
  CLI::App* cmd = app->add_subcommand(
      "crawl",
      "Start a QuarryCrawlWorkflow: the root run and the child runs its enqueue events ask for, "
      "as activities of one durable workflow (run flags mirror `quarry run`)");
  AddConnectionFlags(cmd, &f.target.conn);
  cmd->add_option("--workflow-id", f.target.workflow_id,
                  "Workflow id (default: quarry-crawl-<random>); also the job id of every run "
                  "unless --job-id is given");
  cmd->add_option("--task-queue", f.task_queue, "Task queue of the workers")->capture_default_str();
  cmd->add_option("--depth", f.shape.depth, "Deepest child level (root = 0), 1 or more")
      ->required();
  cmd->add_option("--max-runs", f.shape.max_runs, "Children accepted over the whole crawl")
      ->required();
  cmd->add_option("--parallel", f.shape.parallel, "Children running at once")
      ->capture_default_str();
  cmd->add_option("--continue-as-new-after", f.shape.continue_as_new_after,
                  "History length (events) that makes the workflow continue as new (default "
                  "4000)");
  cmd->add_flag("--wait", f.wait,
                "Wait for the summary, print it, exit with the code `quarry run` would give for "
                "the root's outcome");
  AddRunFlags(cmd, &f.run);
  AddAnnotationFlags(cmd, &f.annotation_flags);
  cmd->callback([flags, exit_code]() { *exit_code = Crawl(*flags); });
}

}  // namespace quarry::temporal::cli
