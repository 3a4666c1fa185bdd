#include "read/responses.h"

namespace quarry::cli {

using nlohmann::ordered_json;

namespace {

ordered_json OrNull(const std::optional<std::string>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

}  // namespace

ordered_json RunResponse(const read::Run& r) {
  ordered_json o;
  o["run_id"] = r.run_id;
  o["job_id"] = OrNull(r.job_id);
  o["state"] = read::Name(r.state);
  o["attempt"] = r.attempt;
  o["parent_run"] = OrNull(r.parent_run_id);
  o["policy"] = r.policy;
  o["started_at"] = r.started_at;
  o["ended_at"] = OrNull(r.ended_at);
  if (!r.sidecar_files.empty()) {
    ordered_json files = ordered_json::array();
    for (const auto& s : r.sidecar_files) {
      files.push_back({{"filename", s.filename},
                       {"content_type", s.content_type},
                       {"size", s.size},
                       {"path", s.path}});
    }
    o["sidecar_files"] = std::move(files);
  }
  if (r.ended_at) {
    o["outcome"] = r.outcome.value_or("");
    o["message"] = r.message.value_or("");
  }
  if (r.fanout) {
    o["enqueued_by_run_id"] = r.fanout->enqueued_by_run_id;
    o["enqueued_by_event_id"] = r.fanout->enqueued_by_event_id;
    o["fanout_depth"] = r.fanout->depth;
  }
  if (!r.children.empty()) o["children"] = r.children;
  return o;
}

ordered_json JobResponse(const read::Job& j) {
  return {{"job_id", j.job_id}, {"state", read::Name(j.state)}, {"run_ids", j.run_ids}};
}

ordered_json TaskResponse(const read::Task& t) {
  ordered_json o;
  o["task_id"] = t.task_id;
  o["state"] = read::Name(t.state);
  o["run_id"] = OrNull(t.run_id);
  o["target"] = t.target ? ordered_json(*t.target) : ordered_json(nullptr);
  o["enqueued_by"] = t.enqueued_by;
  return o;
}

ordered_json ExecutorResponse(const read::Executor& e) {
  return {{"executor_id", e.executor_id},
          {"state", read::Name(e.state)},
          {"last_seen_at", OrNull(e.last_seen_at)}};
}

ordered_json CountsResponse(const read::Counts& c) {
  return {
      {"total", c.total}, {"running", c.running}, {"succeeded", c.succeeded}, {"failed", c.failed}};
}

ordered_json ExecutorCountsResponse(const read::Counts& c) {
  return {{"total", c.total}, {"running", c.running}, {"idle", c.idle}, {"failed", c.failed}};
}

ordered_json RunListResponse(const read::Dataset& d, std::string_view state, int64_t limit) {
  ordered_json out = ordered_json::array();
  for (const read::Run& r : d.runs()) {
    if (!state.empty() && read::Name(r.state) != state) continue;
    if (limit > 0 && static_cast<int64_t>(out.size()) >= limit) break;
    out.push_back(
        {{"run_id", r.run_id}, {"state", read::Name(r.state)}, {"started_at", r.started_at}});
  }
  return out;
}

ordered_json JobListResponse(const read::Dataset& d) {
  ordered_json out = ordered_json::array();
  for (const read::Job& j : d.jobs()) {
    out.push_back({{"job_id", j.job_id}, {"state", read::Name(j.state)}});
  }
  return out;
}

ordered_json ExecutorListResponse(const read::Dataset& d) {
  ordered_json out = ordered_json::array();
  for (const read::Executor& e : d.executors()) {
    out.push_back({{"executor_id", e.executor_id}, {"state", read::Name(e.state)}});
  }
  return out;
}

}  // namespace quarry::cli
