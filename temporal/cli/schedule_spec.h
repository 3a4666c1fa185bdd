// What `quarry-temporal schedule` sends and shows, kept apart from the commands so it can be tested
// without a server: the spec and overlap flags turned into Temporal's schedule messages, the
// CreateScheduleRequest whose action starts QuarryExtractionWorkflow, and the JSON/summary views
// of what the server returns.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/annotations.h"
#include "quarry/status.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace quarry::temporal::cli {

namespace schedule_pb = ::temporal::api::schedule::v1;
namespace wfs = ::temporal::api::workflowservice::v1;

struct ScheduleSpecFlags {
  std::vector<std::string> cron;  // each one a cron_string of the spec
  std::string interval;           // "30s", "1h"; exclusive with cron
  std::string offset;             // phase of the interval, in [0, interval)
};

// Exactly one of cron or interval. Cron strings get a shape check here (5, 6 or 7 fields, or an
// @-shorthand; optional CRON_TZ=/TZ= prefix and # comment) so a typo fails before the server is
// asked; the server still validates the values.
StatusOr<schedule_pb::ScheduleSpec> BuildScheduleSpec(const ScheduleSpecFlags& flags);

// skip, buffer_one, buffer_all, cancel_other, terminate_other, allow_all.
StatusOr<::temporal::api::enums::v1::ScheduleOverlapPolicy> ParseOverlapPolicy(
    std::string_view name);
std::string OverlapPolicyName(::temporal::api::enums::v1::ScheduleOverlapPolicy policy);

struct CreateScheduleOptions {
  std::string namespace_name;
  std::string identity;
  std::string request_id;
  std::string schedule_id;
  schedule_pb::ScheduleSpec spec;
  ::temporal::api::enums::v1::ScheduleOverlapPolicy overlap =
      ::temporal::api::enums::v1::SCHEDULE_OVERLAP_POLICY_SKIP;
  bool paused = false;
  std::string note;
  // The action: QuarryExtractionWorkflow on `task_queue` with `input`. The server appends the
  // scheduled time to `workflow_id`, so every started workflow has its own id (and, unless the
  // input names a job_id, its own job id).
  std::string workflow_id;
  std::string task_queue;
  nlohmann::json input;
  Annotations annotations;  // of every workflow the schedule starts
};

wfs::CreateScheduleRequest BuildCreateScheduleRequest(const CreateScheduleOptions& options);

// One line: "every 30s", "every 1h offset 5m", "cron */5 * * * *", "calendar 0 */5 * * * *"
// (second minute hour day-of-month month day-of-week [year]); several specs joined by "; ".
std::string SpecSummary(const schedule_pb::ScheduleSpec& spec);

nlohmann::json ScheduleListEntryJson(const schedule_pb::ScheduleListEntry& entry);
nlohmann::json DescribeScheduleJson(const std::string& schedule_id,
                                    const wfs::DescribeScheduleResponse& resp);

}  // namespace quarry::temporal::cli
