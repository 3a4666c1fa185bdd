#include "workflows/replay.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "client/payload.h"
#include "temporal/api/enums/v1/command_type.pb.h"
#include "temporal/api/enums/v1/event_type.pb.h"
#include "temporal/api/enums/v1/failed_cause.pb.h"
#include "temporal/api/enums/v1/workflow.pb.h"
#include "workflows/history_events.h"

namespace quarry::temporal {
namespace {

namespace enums = ::temporal::api::enums::v1;
namespace history_pb = ::temporal::api::history::v1;
using enums::CommandType;
using enums::EventType;
using internal::CommandKey;
using internal::CommandKeyOfEvent;
using internal::EventName;
using internal::KeyOf;
using internal::RecordedRunId;
using internal::ResolveChild;
using internal::ResolvedWaitEvent;

google::protobuf::Duration ToProto(std::chrono::milliseconds ms) {
  google::protobuf::Duration d;
  d.set_seconds(ms.count() / 1000);
  d.set_nanos(static_cast<int32_t>((ms.count() % 1000) * 1'000'000));
  return d;
}

class Context : public WorkflowContext {
 public:
  explicit Context(const std::map<std::string, int64_t>* scheduled) : scheduled_(scheduled) {}

  const StartInfo& info() const override { return info_; }
  StartInfo& mutable_info() { return info_; }
  const TaskInfo& task() const override { return task_; }
  void set_task(const TaskInfo& t) { task_ = t; }
  std::vector<command_pb::Command> TakeCommands() { return std::exchange(out_, {}); }
  size_t CommandCount() const { return out_.size(); }
  // Before each task: whether it is the one being decided, and (replaying) the patch markers its
  // command events hold.
  void set_deciding(bool deciding, std::set<std::string> recorded_patches) {
    deciding_ = deciding;
    task_patches_ = std::move(recorded_patches);
  }
  bool Patched(const std::string& patch_id) override {
    if (auto it = patches_.find(patch_id); it != patches_.end()) return it->second;
    const bool taken = deciding_ || task_patches_.count(patch_id) > 0;
    patches_[patch_id] = taken;
    if (taken) {
      auto* c = Add(enums::COMMAND_TYPE_RECORD_MARKER);
      if (c) {
        auto* a = c->mutable_record_marker_command_attributes();
        a->set_marker_name(internal::kPatchMarkerName);
        (*a->mutable_details())[internal::kPatchMarkerIdKey] = JsonPayloads(patch_id);
      }
    }
    return taken;
  }
  bool closed() const { return closed_; }
  // A PROTOCOL_MESSAGE command naming `message_id`, at `position` among this task's commands.
  void InsertProtocolMessage(size_t position, const std::string& message_id) {
    command_pb::Command c;
    c.set_command_type(enums::COMMAND_TYPE_PROTOCOL_MESSAGE);
    c.mutable_protocol_message_command_attributes()->set_message_id(message_id);
    out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(std::min(position, out_.size())),
                std::move(c));
  }

  void ScheduleActivity(const ActivityOptions& o) override {
    // Add() returns null once the workflow closed in this task: nothing more is scheduled.
    auto* c = Add(enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
    if (!c) return;
    auto* a = c->mutable_schedule_activity_task_command_attributes();
    a->set_activity_id(o.activity_id);
    a->mutable_activity_type()->set_name(o.activity_type);
    a->mutable_task_queue()->set_name(o.task_queue);
    a->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
    *a->mutable_input() = JsonPayloads(o.input);
    *a->mutable_start_to_close_timeout() = ToProto(o.start_to_close);
    if (o.heartbeat.count() > 0) *a->mutable_heartbeat_timeout() = ToProto(o.heartbeat);
    if (o.schedule_to_start.count() > 0) {
      *a->mutable_schedule_to_start_timeout() = ToProto(o.schedule_to_start);
    }
    a->mutable_retry_policy()->set_maximum_attempts(o.maximum_attempts);
    *a->mutable_retry_policy()->mutable_initial_interval() = ToProto(o.retry_initial_interval);
  }
  void RequestCancelActivity(const std::string& activity_id) override {
    auto it = scheduled_->find(activity_id);
    if (it == scheduled_->end()) return;  // not scheduled yet in history: nothing to cancel
    auto* c = Add(enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
    if (c)
      c->mutable_request_cancel_activity_task_command_attributes()->set_scheduled_event_id(
          it->second);
  }
  void StartChildWorkflow(const ChildWorkflowOptions& o) override {
    auto* c = Add(enums::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION);
    if (!c) return;
    auto* a = c->mutable_start_child_workflow_execution_command_attributes();
    a->set_workflow_id(o.workflow_id);
    a->mutable_workflow_type()->set_name(o.workflow_type);
    a->mutable_task_queue()->set_name(o.task_queue);
    a->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
    *a->mutable_input() = JsonPayloads(o.input);
    a->set_parent_close_policy(enums::PARENT_CLOSE_POLICY_REQUEST_CANCEL);
  }
  void StartTimer(const std::string& timer_id, std::chrono::milliseconds delay) override {
    auto* c = Add(enums::COMMAND_TYPE_START_TIMER);
    if (!c) return;
    auto* a = c->mutable_start_timer_command_attributes();
    a->set_timer_id(timer_id);
    // The server refuses a zero timer; one millisecond keeps "no backoff" a valid command.
    *a->mutable_start_to_fire_timeout() = ToProto(std::max(delay, std::chrono::milliseconds(1)));
  }
  void CancelTimer(const std::string& timer_id) override {
    auto* c = Add(enums::COMMAND_TYPE_CANCEL_TIMER);
    if (c) c->mutable_cancel_timer_command_attributes()->set_timer_id(timer_id);
  }
  void Complete(const nlohmann::json& result) override {
    auto* c = Add(enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
    if (!c) return;
    *c->mutable_complete_workflow_execution_command_attributes()->mutable_result() =
        JsonPayloads(result);
    closed_ = true;
  }
  void Fail(const failure_pb::Failure& failure) override {
    auto* c = Add(enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
    if (!c) return;
    *c->mutable_fail_workflow_execution_command_attributes()->mutable_failure() = failure;
    closed_ = true;
  }
  void CancelWorkflow(const nlohmann::json& details) override {
    auto* c = Add(enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
    if (!c) return;
    *c->mutable_cancel_workflow_execution_command_attributes()->mutable_details() =
        JsonPayloads(details);
    closed_ = true;
  }
  void ContinueAsNew(const nlohmann::json& input) override {
    auto* c = Add(enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
    if (!c) return;
    auto* a = c->mutable_continue_as_new_workflow_execution_command_attributes();
    a->mutable_workflow_type()->set_name(info_.workflow_type);
    a->mutable_task_queue()->set_name(info_.task_queue);
    a->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
    *a->mutable_input() = JsonPayloads(input);
    closed_ = true;
  }

 private:
  command_pb::Command* Add(CommandType type) {
    if (closed_) return nullptr;
    out_.emplace_back();
    out_.back().set_command_type(type);
    return &out_.back();
  }

  const std::map<std::string, int64_t>* scheduled_;
  StartInfo info_;
  TaskInfo task_;
  std::vector<command_pb::Command> out_;
  bool closed_ = false;
  bool deciding_ = false;
  std::set<std::string> task_patches_;
  std::map<std::string, bool> patches_;
};

ReplayResult Error(ReplayResult::Kind kind, std::string message) {
  ReplayResult r;
  r.kind = kind;
  r.message = std::move(message);
  return r;
}

std::vector<std::string> Waiting(const std::map<int64_t, std::string>& by_event,
                                 const std::map<std::string, std::string>& timers) {
  std::vector<std::string> out;
  for (const auto& [id, what] : by_event) out.push_back(what);
  for (const auto& [id, what] : timers) out.push_back(what);
  return out;
}

}  // namespace

ReplayResult ReplayHistory(WorkflowFactory factory,
                           const ::temporal::api::common::v1::WorkflowExecution& execution,
                           const std::string& workflow_type, const history_pb::History& history,
                           const std::vector<UpdateRequest>& updates) {
  const auto& events = history.events();
  if (events.empty() || events[0].event_type() != enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
    return Error(ReplayResult::Kind::kBadHistory,
                 "history does not begin with WorkflowExecutionStarted");
  }
  std::unique_ptr<Workflow> wf = factory(workflow_type);
  if (!wf) {
    return Error(ReplayResult::Kind::kUnknownWorkflow,
                 "workflow type \"" + workflow_type + "\" is not registered on this worker");
  }

  std::map<std::string, int64_t> scheduled_by_activity;  // activity id -> scheduled event id
  std::map<int64_t, std::string> activity_by_scheduled;
  std::map<int64_t, std::string> run_id_by_scheduled;  // the run_id its recorded input names
  std::map<int64_t, std::string> child_by_initiated;   // initiated event id -> child workflow id
  Context ctx(&scheduled_by_activity);
  {
    StartInfo& info = ctx.mutable_info();
    const auto& started = events[0].workflow_execution_started_event_attributes();
    info.workflow_id = execution.workflow_id();
    info.run_id = execution.run_id();
    info.workflow_type = workflow_type;
    info.task_queue = started.task_queue().name();
    auto input = DecodeSingleArgument(started.input());
    if (input.ok()) {
      info.input = *input;
    } else {
      info.input_error = input.status().message();
    }
  }

  std::vector<const history_pb::HistoryEvent*> pending;  // delivered at the next task
  std::deque<command_pb::Command> expected;              // produced, not yet seen in history
  // What the workflow waits on at the end of history, for the __stack_trace query: activities
  // and children by their scheduling event id, timers by id.
  std::map<int64_t, std::string> waiting_by_event;
  std::map<std::string, std::string> waiting_timers;
  bool delivering_current = false;
  std::vector<std::string> unhandled;          // signals of the current task no handler took
  std::vector<protocol_pb::Message> messages;  // answers to the current task's updates

  // An update, after the task's events: live (the current task) it is answered; on replay (read
  // back from an UpdateAccepted event) it was accepted then and is applied again.
  auto apply_update = [&](const UpdateRequest& u, bool live) {
    if (ctx.closed()) {
      if (live) messages.push_back(RejectionMessage(u, "the workflow is closing"));
      return;
    }
    const size_t mark = ctx.CommandCount();
    Workflow::UpdateOutcome o = wf->OnUpdate(ctx, u.name, u.input);
    if (!live) return;
    if (!o.accepted) {
      messages.push_back(RejectionMessage(u, o.rejection));
      return;
    }
    messages.push_back(AcceptanceMessage(u));
    messages.push_back(ResponseMessage(u, o.result));
    ctx.InsertProtocolMessage(mark, messages[messages.size() - 2].id());
    ctx.InsertProtocolMessage(ctx.CommandCount(), messages.back().id());
  };

  auto deliver = [&](const history_pb::HistoryEvent& e) {
    ActivityResolution r;
    auto activity_id = [&](int64_t scheduled) {
      if (auto it = run_id_by_scheduled.find(scheduled); it != run_id_by_scheduled.end()) {
        r.scheduled_run_id = it->second;
      }
      auto it = activity_by_scheduled.find(scheduled);
      return it == activity_by_scheduled.end() ? std::string() : it->second;
    };
    switch (e.event_type()) {
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        wf->OnStart(ctx);
        return;
      case enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const auto& a = e.activity_task_completed_event_attributes();
        r.kind = ActivityResolution::Kind::kCompleted;
        auto v = DecodeSingleArgument(a.result());
        if (v.ok()) r.result = *v;
        wf->OnActivityResolved(ctx, activity_id(a.scheduled_event_id()), r);
        return;
      }
      case enums::EVENT_TYPE_ACTIVITY_TASK_FAILED: {
        const auto& a = e.activity_task_failed_event_attributes();
        r.kind = ActivityResolution::Kind::kFailed;
        r.failure = a.failure();
        r.view = ViewFailure(a.failure());
        wf->OnActivityResolved(ctx, activity_id(a.scheduled_event_id()), r);
        return;
      }
      case enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const auto& a = e.activity_task_timed_out_event_attributes();
        r.kind = ActivityResolution::Kind::kTimedOut;
        r.failure = a.failure();
        r.view = ViewFailure(a.failure());
        wf->OnActivityResolved(ctx, activity_id(a.scheduled_event_id()), r);
        return;
      }
      case enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const auto& a = e.activity_task_canceled_event_attributes();
        r.kind = ActivityResolution::Kind::kCanceled;
        r.view.kind = FailureView::Kind::kCanceled;
        r.view.message = "activity canceled";
        if (a.details().payloads_size() > 0) {
          auto v = DecodePayload(a.details().payloads(0));
          if (v.ok()) r.view.details = *v;
        }
        wf->OnActivityResolved(ctx, activity_id(a.scheduled_event_id()), r);
        return;
      }
      case enums::EVENT_TYPE_TIMER_FIRED:
        wf->OnTimerFired(ctx, e.timer_fired_event_attributes().timer_id());
        return;
      case enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: {
        auto [initiated, child] = ResolveChild(e);
        auto it = child_by_initiated.find(initiated);
        if (it != child_by_initiated.end()) wf->OnChildResolved(ctx, it->second, child);
        return;
      }
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        wf->OnCancelRequested(ctx);
        return;
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const auto& a = e.workflow_execution_signaled_event_attributes();
        auto v = DecodeSingleArgument(a.input());
        const bool handled =
            wf->OnSignal(ctx, a.signal_name(), v.ok() ? *v : std::optional<nlohmann::json>());
        if (!handled && delivering_current) unhandled.push_back(a.signal_name());
        return;
      }
      default:
        return;
    }
  };

  for (int i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (auto key = CommandKeyOfEvent(e)) {
      if (expected.empty()) {
        return Error(ReplayResult::Kind::kNonDeterministic,
                     "history event " + std::to_string(e.event_id()) + " (" + EventName(e) + " " +
                         key->Describe() +
                         ") has no matching command: the workflow no longer "
                         "produces it");
      }
      CommandKey mine = KeyOf(expected.front());
      if (!(mine == *key)) {
        return Error(ReplayResult::Kind::kNonDeterministic,
                     "history event " + std::to_string(e.event_id()) + " is " + EventName(e) + " " +
                         key->Describe() + ", but the workflow now produces " + mine.Describe());
      }
      expected.pop_front();
      if (e.event_type() == enums::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        scheduled_by_activity[key->id] = e.event_id();
        activity_by_scheduled[e.event_id()] = key->id;
        if (auto run_id = RecordedRunId(e)) run_id_by_scheduled[e.event_id()] = *run_id;
        waiting_by_event[e.event_id()] =
            "activity " + key->id + " (" +
            e.activity_task_scheduled_event_attributes().activity_type().name() + ")";
      } else if (e.event_type() == enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) {
        child_by_initiated[e.event_id()] = key->id;
        waiting_by_event[e.event_id()] = "child workflow " + key->id;
      } else if (e.event_type() == enums::EVENT_TYPE_TIMER_STARTED) {
        waiting_timers[key->id] = "timer " + key->id;
      } else if (e.event_type() == enums::EVENT_TYPE_TIMER_CANCELED) {
        waiting_timers.erase(key->id);
      }
      continue;
    }
    if (auto resolved = ResolvedWaitEvent(e)) waiting_by_event.erase(*resolved);
    if (e.event_type() == enums::EVENT_TYPE_TIMER_FIRED) {
      waiting_timers.erase(e.timer_fired_event_attributes().timer_id());
    }
    switch (e.event_type()) {
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
      case enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case enums::EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      case enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED:
      case enums::EVENT_TYPE_TIMER_FIRED:
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
      case enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        pending.push_back(&e);
        break;
      case enums::EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        const bool current = i + 1 == events.size();
        const bool completed =
            !current && events[i + 1].event_type() == enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
        if (!current && !completed) break;  // failed or timed out: its events go to the next task
        if (!expected.empty()) {
          return Error(ReplayResult::Kind::kNonDeterministic,
                       "the workflow now produces " + KeyOf(expected.front()).Describe() +
                           ", which history does not have (before event " +
                           std::to_string(e.event_id()) + ")");
        }
        const auto& started = e.workflow_task_started_event_attributes();
        ctx.set_task(
            {e.event_id(), started.history_size_bytes(), started.suggest_continue_as_new()});
        delivering_current = current;
        ctx.set_deciding(current,
                         current ? std::set<std::string>() : internal::PatchesOfTask(events, i));
        for (const auto* p : pending) deliver(*p);
        pending.clear();
        if (current) {
          for (const auto& u : updates) apply_update(u, true);
        } else {
          // The updates this task accepted are recorded among its command events.
          for (int j = i + 2; j < events.size(); ++j) {
            const auto t = events[j].event_type();
            if (t == enums::EVENT_TYPE_WORKFLOW_TASK_STARTED) break;
            if (t == enums::EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) {
              apply_update(UpdateFromAcceptedEvent(events[j]), false);
            }
          }
        }
        auto produced = ctx.TakeCommands();
        if (current) {
          ReplayResult r;
          r.commands = std::move(produced);
          r.unhandled_signals = std::move(unhandled);
          r.messages = std::move(messages);
          r.waiting_on = Waiting(waiting_by_event, waiting_timers);
          r.workflow = std::move(wf);
          return r;
        }
        expected.assign(std::make_move_iterator(produced.begin()),
                        std::make_move_iterator(produced.end()));
        break;
      }
      default:
        break;
    }
  }
  // A closed (or not yet current) history: everything produced must have been recorded.
  if (!expected.empty()) {
    return Error(ReplayResult::Kind::kNonDeterministic, "the workflow now produces " +
                                                            KeyOf(expected.front()).Describe() +
                                                            ", which history does not have");
  }
  ReplayResult r;
  r.waiting_on = Waiting(waiting_by_event, waiting_timers);
  r.workflow = std::move(wf);
  return r;
}

}  // namespace quarry::temporal
