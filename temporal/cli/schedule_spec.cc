#include "cli/schedule_spec.h"

#include <array>
#include <cctype>
#include <sstream>

#include "client/payload.h"
#include "google/protobuf/util/time_util.h"
#include "quarry/duration.h"
#include "workflows/extraction_params.h"

namespace quarry::temporal::cli {
namespace {

namespace enums = ::temporal::api::enums::v1;
using nlohmann::json;

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Status CheckCron(const std::string& expr) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("--cron \"" + expr + "\": " + why);
  };
  std::string_view body = expr;
  if (auto hash = body.find('#'); hash != std::string_view::npos) body = body.substr(0, hash);
  std::vector<std::string> fields = Words(body);
  if (!fields.empty() &&
      (fields.front().rfind("CRON_TZ=", 0) == 0 || fields.front().rfind("TZ=", 0) == 0)) {
    fields.erase(fields.begin());
  }
  if (fields.empty()) return bad("empty expression");
  if (fields.front()[0] == '@') return Status::Ok();  // @daily, @every 10m, ...: the server's
  if (fields.size() < 5 || fields.size() > 7) {
    return bad(
        "expected 5 fields (minute hour day-of-month month day-of-week), 6 (+ year) or 7 "
        "(second first), got " +
        std::to_string(fields.size()));
  }
  for (const std::string& field : fields) {
    for (char c : field) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '*' && c != '?' && c != '/' &&
          c != ',' && c != '-') {
        return bad("unexpected character '" + std::string(1, c) + "' in field \"" + field + "\"");
      }
    }
  }
  return Status::Ok();
}

StatusOr<int64_t> WholeSeconds(const std::string& text, const char* flag) {
  auto d = ParseDuration(text);
  if (!d.ok()) return InvalidArgumentError(std::string(flag) + ": " + d.status().message());
  if (d->count() < 0) return InvalidArgumentError(std::string(flag) + " must not be negative");
  // The server truncates to whole seconds; refusing fractions keeps "1.5s" from meaning 1s.
  if (d->count() % 1'000'000'000 != 0) {
    return InvalidArgumentError(std::string(flag) + " must be a whole number of seconds, got " +
                                text);
  }
  return d->count() / 1'000'000'000;
}

constexpr std::array<std::pair<const char*, enums::ScheduleOverlapPolicy>, 6> kOverlap = {{
    {"skip", enums::SCHEDULE_OVERLAP_POLICY_SKIP},
    {"buffer_one", enums::SCHEDULE_OVERLAP_POLICY_BUFFER_ONE},
    {"buffer_all", enums::SCHEDULE_OVERLAP_POLICY_BUFFER_ALL},
    {"cancel_other", enums::SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER},
    {"terminate_other", enums::SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER},
    {"allow_all", enums::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL},
}};

std::string Time(const google::protobuf::Timestamp& ts) {
  return google::protobuf::util::TimeUtil::ToString(ts);
}

std::string DurationText(const google::protobuf::Duration& d) {
  return FormatDuration(std::chrono::seconds(d.seconds()) + std::chrono::nanoseconds(d.nanos()));
}

// One field of a structured calendar in cron notation; `lo`/`hi` bound the field so a full range
// prints as "*". An empty field matches nothing (year: every year).
std::string RangesText(const google::protobuf::RepeatedPtrField<schedule_pb::Range>& ranges, int lo,
                       int hi) {
  if (ranges.empty()) return hi < 0 ? "*" : "none";
  std::string out;
  for (const auto& r : ranges) {
    const int end = r.end() < r.start() ? r.start() : r.end();
    const int step = r.step() <= 0 ? 1 : r.step();
    std::string part;
    if (r.start() == end) {
      part = std::to_string(r.start());
    } else if (r.start() == lo && end == hi) {
      part = "*";
    } else {
      part = std::to_string(r.start()) + "-" + std::to_string(end);
    }
    if (r.start() != end && step > 1) part += "/" + std::to_string(step);
    out += (out.empty() ? "" : ",") + part;
  }
  return out;
}

std::string CalendarText(const schedule_pb::StructuredCalendarSpec& c) {
  std::string out = "calendar " + RangesText(c.second(), 0, 59) + " " +
                    RangesText(c.minute(), 0, 59) + " " + RangesText(c.hour(), 0, 23) + " " +
                    RangesText(c.day_of_month(), 1, 31) + " " + RangesText(c.month(), 1, 12) + " " +
                    RangesText(c.day_of_week(), 0, 6);
  if (!c.year().empty()) out += " " + RangesText(c.year(), 0, -1);
  if (!c.comment().empty()) out += " # " + c.comment();
  return out;
}

std::string CalendarText(const schedule_pb::CalendarSpec& c) {
  auto or_default = [](const std::string& v, const char* d) { return v.empty() ? d : v; };
  std::string out = "calendar " + or_default(c.second(), "0") + " " + or_default(c.minute(), "0") +
                    " " + or_default(c.hour(), "0") + " " + or_default(c.day_of_month(), "*") +
                    " " + or_default(c.month(), "*") + " " + or_default(c.day_of_week(), "*");
  if (!c.year().empty()) out += " " + c.year();
  if (!c.comment().empty()) out += " # " + c.comment();
  return out;
}

json TimesJson(const google::protobuf::RepeatedPtrField<google::protobuf::Timestamp>& times) {
  json out = json::array();
  for (const auto& t : times) out.push_back(Time(t));
  return out;
}

json ActionsJson(const google::protobuf::RepeatedPtrField<schedule_pb::ScheduleActionResult>& rs) {
  json out = json::array();
  for (const auto& r : rs) {
    json a = {{"schedule_time", Time(r.schedule_time())}, {"actual_time", Time(r.actual_time())}};
    if (r.has_start_workflow_result()) {
      a["workflow_id"] = r.start_workflow_result().workflow_id();
      a["run_id"] = r.start_workflow_result().run_id();
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

StatusOr<schedule_pb::ScheduleSpec> BuildScheduleSpec(const ScheduleSpecFlags& f) {
  if (f.cron.empty() && f.interval.empty()) {
    return InvalidArgumentError("a schedule needs --cron \"expr\" or --interval DURATION");
  }
  if (!f.cron.empty() && !f.interval.empty()) {
    return InvalidArgumentError("--cron and --interval are exclusive: give one of them");
  }
  if (!f.offset.empty() && f.interval.empty()) {
    return InvalidArgumentError("--offset needs --interval");
  }
  schedule_pb::ScheduleSpec spec;
  for (const std::string& expr : f.cron) {
    QUARRY_RETURN_IF_ERROR(CheckCron(expr));
    spec.add_cron_string(expr);
  }
  if (!f.interval.empty()) {
    QUARRY_ASSIGN_OR_RETURN(int64_t every, WholeSeconds(f.interval, "--interval"));
    if (every < 1) return InvalidArgumentError("--interval must be at least 1s");
    int64_t offset = 0;
    if (!f.offset.empty()) {
      QUARRY_ASSIGN_OR_RETURN(offset, WholeSeconds(f.offset, "--offset"));
      if (offset >= every) {
        return InvalidArgumentError("--offset must be shorter than --interval (" + f.interval +
                                    ")");
      }
    }
    auto* iv = spec.add_interval();
    iv->mutable_interval()->set_seconds(every);
    if (offset > 0) iv->mutable_phase()->set_seconds(offset);
  }
  return spec;
}

StatusOr<enums::ScheduleOverlapPolicy> ParseOverlapPolicy(std::string_view name) {
  std::string names;
  for (const auto& [n, p] : kOverlap) {
    if (name == n) return p;
    names += (names.empty() ? "" : ", ") + std::string(n);
  }
  return InvalidArgumentError("--overlap \"" + std::string(name) + "\" must be one of " + names);
}

std::string OverlapPolicyName(enums::ScheduleOverlapPolicy policy) {
  for (const auto& [n, p] : kOverlap) {
    if (p == policy) return n;
  }
  // The server reports the default (skip) as unspecified.
  return policy == enums::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED ? "skip" : "unknown";
}

wfs::CreateScheduleRequest BuildCreateScheduleRequest(const CreateScheduleOptions& o) {
  wfs::CreateScheduleRequest req;
  req.set_namespace_(o.namespace_name);
  req.set_schedule_id(o.schedule_id);
  req.set_identity(o.identity);
  req.set_request_id(o.request_id);
  schedule_pb::Schedule* s = req.mutable_schedule();
  *s->mutable_spec() = o.spec;
  s->mutable_policies()->set_overlap_policy(o.overlap);
  s->mutable_state()->set_paused(o.paused);
  s->mutable_state()->set_notes(o.note);
  auto* start = s->mutable_action()->mutable_start_workflow();
  start->set_workflow_id(o.workflow_id);
  start->mutable_workflow_type()->set_name(kExtractionWorkflow);
  start->mutable_task_queue()->set_name(o.task_queue);
  start->mutable_task_queue()->set_kind(::temporal::api::enums::v1::TASK_QUEUE_KIND_NORMAL);
  *start->mutable_input() = JsonPayloads(o.input);
  ApplyAnnotations(o.annotations, start);
  return req;
}

std::string SpecSummary(const schedule_pb::ScheduleSpec& spec) {
  std::vector<std::string> parts;
  for (const auto& iv : spec.interval()) {
    std::string p = "every " + DurationText(iv.interval());
    if (iv.has_phase() && (iv.phase().seconds() != 0 || iv.phase().nanos() != 0)) {
      p += " offset " + DurationText(iv.phase());
    }
    parts.push_back(std::move(p));
  }
  for (const auto& c : spec.cron_string()) parts.push_back("cron " + c);
  for (const auto& c : spec.structured_calendar()) parts.push_back(CalendarText(c));
  for (const auto& c : spec.calendar()) parts.push_back(CalendarText(c));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  if (!spec.timezone_name().empty()) out += " (" + spec.timezone_name() + ")";
  return out.empty() ? "(no times)" : out;
}

json ScheduleListEntryJson(const schedule_pb::ScheduleListEntry& e) {
  const auto& info = e.info();
  return {{"schedule_id", e.schedule_id()},
          {"spec", SpecSummary(info.spec())},
          {"workflow_type", info.workflow_type().name()},
          {"paused", info.paused()},
          {"note", info.notes()},
          {"next_action_times", TimesJson(info.future_action_times())},
          {"recent_actions", ActionsJson(info.recent_actions())}};
}

json DescribeScheduleJson(const std::string& schedule_id, const wfs::DescribeScheduleResponse& r) {
  const auto& s = r.schedule();
  const auto& info = r.info();
  const auto& start = s.action().start_workflow();
  json running = json::array();
  for (const auto& ex : info.running_workflows()) {
    running.push_back({{"workflow_id", ex.workflow_id()}, {"run_id", ex.run_id()}});
  }
  json out = {{"schedule_id", schedule_id},
              {"spec", SpecSummary(s.spec())},
              {"overlap", OverlapPolicyName(s.policies().overlap_policy())},
              {"paused", s.state().paused()},
              {"note", s.state().notes()},
              {"workflow_type", start.workflow_type().name()},
              {"workflow_id_prefix", start.workflow_id()},
              {"task_queue", start.task_queue().name()},
              {"action_count", info.action_count()},
              {"overlap_skipped", info.overlap_skipped()},
              {"running_workflows", std::move(running)},
              {"recent_actions", ActionsJson(info.recent_actions())},
              {"next_action_times", TimesJson(info.future_action_times())}};
  if (info.has_create_time()) out["create_time"] = Time(info.create_time());
  return out;
}

}  // namespace quarry::temporal::cli
