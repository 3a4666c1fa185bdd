#include "cli/batch_command.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/connection_flags.h"
#include "cli/workflow_client.h"
#include "client/json_depth.h"
#include "workflows/batch_params.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal::cli {

using nlohmann::json;

namespace {

// Paths in a line are read like the flags': relative to where `batch` runs, because the worker
// may run elsewhere and must be given paths it can open.
void MakePathsAbsolute(json* run) {
  auto fix = [](json& v) {
    if (!v.is_string()) return;
    std::error_code ec;
    v = std::filesystem::absolute(v.get<std::string>(), ec).lexically_normal().string();
  };
  for (const char* key : {"script", "job_json", "resolve_from"}) {
    if (run->contains(key)) fix((*run)[key]);
  }
  if (run->contains("storage") && (*run)["storage"].is_object() &&
      (*run)["storage"].contains("path")) {
    fix((*run)["storage"]["path"]);
  }
}

}  // namespace

StatusOr<BatchPlan> PlanBatch(const std::string& file, const RunFlags& run,
                              const BatchShape& shape) {
  QUARRY_ASSIGN_OR_RETURN(json workflow_input, BuildWorkflowInput(run));
  std::error_code ec;
  const std::string path = std::filesystem::absolute(file, ec).lexically_normal().string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError("--file " + file + ": cannot read it");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();

  // The knobs apply to the whole batch; the rest of the start input is every run's template.
  json defaults = workflow_input;
  json knobs = json::object();
  for (const char* key : {"retry", "activity", "notify"}) {
    if (defaults.contains(key)) {
      knobs[key] = defaults[key];
      defaults.erase(key);
    }
  }

  json runs = json::array();
  size_t bytes = 0;
  for (const RunLine& line : SplitRunLines(text)) {
    const std::string where = file + " line " + std::to_string(line.line_no);
    if (size_t at = ::quarry::json::FindTooDeep(line.text, kMaxRunLineDepth);
        at != std::string::npos) {
      return InvalidArgumentError(where + ": nested deeper than " +
                                  std::to_string(kMaxRunLineDepth) + " levels (at byte " +
                                  std::to_string(at) + ")");
    }
    json r = json::parse(line.text, nullptr, /*allow_exceptions=*/false);
    if (r.is_discarded() || !r.is_object()) {
      return InvalidArgumentError(where + ": not a JSON object");
    }
    auto merged = MergeRun(defaults, r, static_cast<int64_t>(runs.size()));
    if (!merged.ok()) {
      // MergeRun names the run by index; the line number is what the user can find.
      std::string msg = merged.status().message();
      msg.erase(0, msg.find(": ") + 2);
      return InvalidArgumentError(where + ": " + msg);
    }
    MakePathsAbsolute(&r);
    bytes += line.text.size();
    runs.push_back(std::move(r));
  }
  if (runs.empty()) return InvalidArgumentError("--file " + file + " has no runs");

  BatchPlan plan;
  plan.runs = static_cast<int64_t>(runs.size());
  plan.input = knobs;
  plan.input["defaults"] = defaults;
  plan.input["max_parallel"] = shape.max_parallel;
  if (plan.runs <= kMaxRunsPerWorkflow) {
    plan.workflow_type = kBatchWorkflow;
    if (bytes <= shape.max_inline_bytes) {
      plan.input["runs"] = std::move(runs);
    } else {
      plan.input["runs_file"] = path;
    }
  } else {
    plan.workflow_type = kLargeBatchWorkflow;
    plan.input["runs_file"] = path;
    plan.input["chunk_size"] = shape.chunk_size;
    plan.input["max_parallel_chunks"] = shape.max_parallel_chunks;
    plan.input["continue_as_new_after"] = shape.continue_as_new_after;
  }
  const BatchKind kind =
      plan.workflow_type == kBatchWorkflow ? BatchKind::kBatch : BatchKind::kLarge;
  QUARRY_RETURN_IF_ERROR(ParseBatchParams(plan.input, kind).status());
  return plan;
}

namespace {

struct BatchFlags {
  Target target;
  std::string task_queue = kTaskQueueDefault;
  std::string file;
  RunFlags run;
  AnnotationFlags annotation_flags;
  BatchShape shape;
  bool wait = false;
};

int Batch(BatchFlags& f) {
  auto plan = PlanBatch(f.file, f.run, f.shape);
  if (!plan.ok()) {
    PrintError(plan.status().message());
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
  Status started = StartWorkflow(svc->get(), &f.target, plan->workflow_type, f.task_queue,
                                 plan->input, "quarry-batch", *annotations);
  if (!started.ok()) {
    PrintError(started.message());
    return 2;
  }
  if (!f.wait) {
    PrintJson({{"workflow_id", f.target.workflow_id},
               {"run_id", f.target.run_id},
               {"workflow_type", plan->workflow_type},
               {"runs", plan->runs}});
    return 0;
  }
  std::fprintf(stderr, "started %s %s with %lld runs; waiting for its aggregate\n",
               plan->workflow_type.c_str(), f.target.workflow_id.c_str(),
               static_cast<long long>(plan->runs));
  return WaitAndPrint(svc->get(), f.target);
}

}  // namespace

void AddBatchCommand(CLI::App* app, int* exit_code) {
  auto flags = std::make_shared<BatchFlags>();
  BatchFlags& f = *flags;
  CLI::App* cmd = app->add_subcommand(
      "batch",
      "Start a batch of runs from a JSONL file: BatchExtraction up to 500 runs, "
      "LargeBatchExtraction (chunks of child workflows) beyond");
  AddConnectionFlags(cmd, &f.target.conn);
  cmd->add_option("--file", f.file,
                  "JSONL file, one run per line (run fields such as job, job_id, source), laid "
                  "over the run flags")
      ->required();
  cmd->add_option("--workflow-id", f.target.workflow_id,
                  "Workflow id (default: quarry-batch-<random>); runs get job ids "
                  "<workflow id>/run-<index> unless their line sets job_id");
  cmd->add_option("--task-queue", f.task_queue, "Task queue of the workers")->capture_default_str();
  cmd->add_option("--max-parallel", f.shape.max_parallel,
                  "Runs in flight at once per workflow (per chunk for large batches)")
      ->capture_default_str();
  cmd->add_option("--continue-as-new-after", f.shape.continue_as_new_after,
                  "History events after which a large batch continues as new (20..40000)")
      ->capture_default_str();
  cmd->add_option("--max-parallel-chunks", f.shape.max_parallel_chunks,
                  "Chunks (child workflows) running at once, large batches only")
      ->capture_default_str();
  cmd->add_option("--chunk-size", f.shape.chunk_size, "Runs per chunk, large batches only (≤ 500)")
      ->capture_default_str();
  cmd->add_flag("--wait", f.wait,
                "Wait for the aggregate and print it; exit 0 when every run succeeded, 1 when "
                "some failed, 2 when the batch itself failed");
  AddRunFlags(cmd, &f.run);
  AddAnnotationFlags(cmd, &f.annotation_flags);
  cmd->callback([flags, exit_code]() { *exit_code = Batch(*flags); });
}

}  // namespace quarry::temporal::cli
