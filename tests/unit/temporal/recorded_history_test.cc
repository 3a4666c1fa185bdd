// Histories recorded from real runs against a Temporal dev server (`temporal workflow show
// --output json` of a success, a retry after a script error, a cancel mid-run, and of every batch
// type and of a crawl that continued as new as tests/e2e/record_histories.py records them) replay
// with the current code: every workflow task produces exactly the commands the history recorded,
// with the same inputs. A deliberately changed workflow is reported as non-deterministic.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "temporal/api/enums/v1/command_type.pb.h"
#include "temporal/api/enums/v1/event_type.pb.h"
#include "workflows/registry.h"
#include "workflows/replay.h"

namespace quarry::temporal {
namespace {

namespace enums = ::temporal::api::enums::v1;
namespace history_pb = ::temporal::api::history::v1;

history_pb::History Load(const std::string& name) {
  std::ifstream in(std::string(QUARRY_SOURCE_DIR) + "/tests/unit/temporal/histories/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  history_pb::History h;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  auto st = google::protobuf::util::JsonStringToMessage(ss.str(), &h, opts);
  EXPECT_TRUE(st.ok()) << name << ": " << st.ToString();
  return h;
}

std::string TypeOf(const history_pb::History& h) {
  return h.events(0).workflow_execution_started_event_attributes().workflow_type().name();
}

::temporal::api::common::v1::WorkflowExecution ExecutionOf(const history_pb::History& h) {
  const auto& started = h.events(0).workflow_execution_started_event_attributes();
  ::temporal::api::common::v1::WorkflowExecution ex;
  ex.set_workflow_id(started.workflow_id());
  ex.set_run_id(started.original_execution_run_id());
  return ex;
}

// The recorded command events right after the WorkflowTaskCompleted at `completed`.
std::vector<const history_pb::HistoryEvent*> CommandEventsAfter(const history_pb::History& h,
                                                                int completed) {
  std::vector<const history_pb::HistoryEvent*> out;
  for (int i = completed + 1; i < h.events_size(); ++i) {
    switch (h.events(i).event_type()) {
      case enums::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
      case enums::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
      case enums::EVENT_TYPE_TIMER_STARTED:
      case enums::EVENT_TYPE_TIMER_CANCELED:
      case enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        out.push_back(&h.events(i));
        continue;
      default:
        return out;
    }
  }
  return out;
}

void ExpectSame(const command_pb::Command& c, const history_pb::HistoryEvent& e) {
  switch (e.event_type()) {
    case enums::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
      ASSERT_EQ(c.command_type(), enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
      const auto& a = c.schedule_activity_task_command_attributes();
      const auto& r = e.activity_task_scheduled_event_attributes();
      EXPECT_EQ(a.activity_id(), r.activity_id());
      EXPECT_EQ(a.activity_type().name(), r.activity_type().name());
      ASSERT_EQ(a.input().payloads_size(), 1);
      EXPECT_EQ(a.input().payloads(0).data(), r.input().payloads(0).data());
      EXPECT_EQ(a.start_to_close_timeout().seconds(), r.start_to_close_timeout().seconds());
      EXPECT_EQ(a.heartbeat_timeout().seconds(), r.heartbeat_timeout().seconds());
      EXPECT_EQ(a.retry_policy().maximum_attempts(), r.retry_policy().maximum_attempts());
      break;
    }
    case enums::EVENT_TYPE_TIMER_STARTED:
      ASSERT_EQ(c.command_type(), enums::COMMAND_TYPE_START_TIMER);
      EXPECT_EQ(c.start_timer_command_attributes().timer_id(),
                e.timer_started_event_attributes().timer_id());
      break;
    case enums::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
      ASSERT_EQ(c.command_type(), enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
      EXPECT_EQ(c.request_cancel_activity_task_command_attributes().scheduled_event_id(),
                e.activity_task_cancel_requested_event_attributes().scheduled_event_id());
      break;
    case enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
      ASSERT_EQ(c.command_type(), enums::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION);
      const auto& a = c.start_child_workflow_execution_command_attributes();
      const auto& r = e.start_child_workflow_execution_initiated_event_attributes();
      EXPECT_EQ(a.workflow_id(), r.workflow_id());
      EXPECT_EQ(a.workflow_type().name(), r.workflow_type().name());
      EXPECT_EQ(a.input().payloads(0).data(), r.input().payloads(0).data());
      EXPECT_EQ(a.parent_close_policy(), r.parent_close_policy());
      break;
    }
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      ASSERT_EQ(c.command_type(), enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
      EXPECT_EQ(c.complete_workflow_execution_command_attributes().result().payloads(0).data(),
                e.workflow_execution_completed_event_attributes().result().payloads(0).data());
      break;
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      ASSERT_EQ(c.command_type(), enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
      break;
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: {
      ASSERT_EQ(c.command_type(), enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
      const auto& a = c.continue_as_new_workflow_execution_command_attributes();
      const auto& r = e.workflow_execution_continued_as_new_event_attributes();
      EXPECT_EQ(a.workflow_type().name(), r.workflow_type().name());
      EXPECT_EQ(a.task_queue().name(), r.task_queue().name());
      // The input holds the frontier: the same queue, dedup set and counts, byte for byte.
      EXPECT_EQ(a.input().payloads(0).data(), r.input().payloads(0).data());
      break;
    }
    default:
      FAIL() << "unexpected command event " << e.event_type();
  }
}

class TemporalRecordedHistoryTest : public ::testing::TestWithParam<const char*> {};

TEST_P(TemporalRecordedHistoryTest, EveryTaskReproducesItsRecordedCommands) {
  history_pb::History full = Load(GetParam());
  ASSERT_GT(full.events_size(), 3);
  auto ex = ExecutionOf(full);
  const std::string type = TypeOf(full);

  ReplayResult whole = ReplayHistory(&CreateWorkflow, ex, type, full);
  ASSERT_EQ(whole.kind, ReplayResult::Kind::kCommands) << whole.message;
  EXPECT_TRUE(whole.commands.empty());

  int tasks = 0;
  for (int i = 0; i + 1 < full.events_size(); ++i) {
    if (full.events(i).event_type() != enums::EVENT_TYPE_WORKFLOW_TASK_STARTED ||
        full.events(i + 1).event_type() != enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
      continue;
    }
    // The history as the worker saw it when this task was handed out.
    history_pb::History upto;
    for (int j = 0; j <= i; ++j) *upto.add_events() = full.events(j);
    ReplayResult r = ReplayHistory(&CreateWorkflow, ex, type, upto);
    ASSERT_EQ(r.kind, ReplayResult::Kind::kCommands) << r.message;
    auto recorded = CommandEventsAfter(full, i + 1);
    ASSERT_EQ(r.commands.size(), recorded.size()) << "task at event " << i + 1;
    for (size_t k = 0; k < recorded.size(); ++k) ExpectSame(r.commands[k], *recorded[k]);
    ++tasks;
  }
  EXPECT_GE(tasks, 2);
}

INSTANTIATE_TEST_SUITE_P(TemporalRecorded, TemporalRecordedHistoryTest,
                         ::testing::Values("success.json", "retry.json", "cancel.json",
                                           "batch.json", "large_batch.json", "chunk.json",
                                           "crawl.json", "crawl_continued.json"));

// A "new version" of the workflow that names its activities differently.
class RenamingContext : public WorkflowContext {
 public:
  explicit RenamingContext(WorkflowContext& inner) : inner_(inner) {}
  const StartInfo& info() const override { return inner_.info(); }
  const TaskInfo& task() const override { return inner_.task(); }
  void ScheduleActivity(const ActivityOptions& o) override {
    ActivityOptions renamed = o;
    renamed.activity_id = "extract-" + o.activity_id;
    inner_.ScheduleActivity(renamed);
  }
  void RequestCancelActivity(const std::string& id) override { inner_.RequestCancelActivity(id); }
  void StartChildWorkflow(const ChildWorkflowOptions& o) override {
    ChildWorkflowOptions renamed = o;
    renamed.workflow_id = o.workflow_id + "-v2";
    inner_.StartChildWorkflow(renamed);
  }
  void StartTimer(const std::string& id, std::chrono::milliseconds d) override {
    inner_.StartTimer(id, d);
  }
  void CancelTimer(const std::string& id) override { inner_.CancelTimer(id); }
  void Complete(const nlohmann::json& r) override { inner_.Complete(r); }
  void Fail(const failure_pb::Failure& f) override { inner_.Fail(f); }
  void CancelWorkflow(const nlohmann::json& d) override { inner_.CancelWorkflow(d); }
  void ContinueAsNew(const nlohmann::json& in) override { inner_.ContinueAsNew(in); }
  bool Patched(const std::string& id) override { return inner_.Patched(id); }

 private:
  WorkflowContext& inner_;
};

class ChangedWorkflow : public Workflow {
 public:
  explicit ChangedWorkflow(const std::string& type) : inner_(CreateWorkflow(type)) {}
  void OnStart(WorkflowContext& ctx) override {
    RenamingContext r(ctx);
    inner_->OnStart(r);
  }
  void OnActivityResolved(WorkflowContext& ctx, const std::string& id,
                          const ActivityResolution& res) override {
    RenamingContext r(ctx);
    inner_->OnActivityResolved(r, id, res);
  }
  void OnTimerFired(WorkflowContext& ctx, const std::string& id) override {
    RenamingContext r(ctx);
    inner_->OnTimerFired(r, id);
  }
  void OnCancelRequested(WorkflowContext& ctx) override {
    RenamingContext r(ctx);
    inner_->OnCancelRequested(r);
  }
  void OnChildResolved(WorkflowContext& ctx, const std::string& id,
                       const ChildResolution& res) override {
    RenamingContext r(ctx);
    inner_->OnChildResolved(r, id, res);
  }
  bool OnSignal(WorkflowContext& ctx, const std::string& name,
                const std::optional<nlohmann::json>& input) override {
    RenamingContext r(ctx);
    return inner_->OnSignal(r, name, input);
  }
  nlohmann::json Progress() const override { return inner_->Progress(); }

 private:
  std::unique_ptr<Workflow> inner_;
};

std::unique_ptr<Workflow> CreateChanged(const std::string& type) {
  return std::make_unique<ChangedWorkflow>(type);
}

TEST(TemporalRecordedHistoryNonDeterminismTest, ChangedWorkflowIsReported) {
  history_pb::History full = Load("retry.json");
  ReplayResult r =
      ReplayHistory(&CreateChanged, ExecutionOf(full), "QuarryExtractionWorkflow", full);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kNonDeterministic);
  EXPECT_NE(r.message.find("history event 5"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("\"attempt-1\""), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("\"extract-attempt-1\""), std::string::npos) << r.message;
}

TEST(TemporalRecordedHistoryNonDeterminismTest, ChangedBatchAndChunkIdsAreReported) {
  history_pb::History batch = Load("batch.json");
  ReplayResult r = ReplayHistory(&CreateChanged, ExecutionOf(batch), TypeOf(batch), batch);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kNonDeterministic);
  EXPECT_NE(r.message.find("\"run-0/attempt-1\""), std::string::npos) << r.message;

  history_pb::History large = Load("large_batch.json");
  r = ReplayHistory(&CreateChanged, ExecutionOf(large), TypeOf(large), large);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kNonDeterministic);
  EXPECT_NE(r.message.find("rec-large/chunk-0-v2"), std::string::npos) << r.message;

  history_pb::History crawl = Load("crawl.json");
  r = ReplayHistory(&CreateChanged, ExecutionOf(crawl), TypeOf(crawl), crawl);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kNonDeterministic);
  EXPECT_NE(r.message.find("\"task-0/attempt-1\""), std::string::npos) << r.message;
}

TEST(TemporalRecordedHistoryNonDeterminismTest, ACrawlThatNoLongerContinuesAsNewIsReported) {
  // The same first run with a threshold its history never reaches: where the recorded run
  // drained, the changed one starts another task.
  history_pb::History crawl = Load("crawl.json");
  auto* input = crawl.mutable_events(0)
                    ->mutable_workflow_execution_started_event_attributes()
                    ->mutable_input()
                    ->mutable_payloads(0);
  auto in = nlohmann::json::parse(input->data());
  in["continue_as_new_after"] = 40000;
  input->set_data(in.dump());
  ReplayResult r = ReplayHistory(&CreateWorkflow, ExecutionOf(crawl), TypeOf(crawl), crawl);
  ASSERT_EQ(r.kind, ReplayResult::Kind::kNonDeterministic);
  EXPECT_NE(r.message.find("SCHEDULE_ACTIVITY_TASK \"task-"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("which history does not have"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace quarry::temporal
