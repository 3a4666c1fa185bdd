// Builders of the read tests' datasets: run descriptors, events and metrics records as the
// real writer stores them (the tests write them with RunWriter into a memory store).
#pragma once

#include <optional>
#include <string>

#include "lode/test_events.h"
#include "lode/test_support.h"
#include "quarry/lode/run_writer.h"

namespace quarry::read::testing {

using lode::RunDescriptor;
using lode::testing::EventSpec;
using lode::testing::MakeEvent;
using lode::testing::Pack;
using lode::testing::Packer;
using lode::testing::PackStr;

inline RunDescriptor Desc(const std::string& run_id, const std::string& started_at,
                          std::optional<std::string> job,
                          const std::string& executor = "executor.mjs") {
  RunDescriptor d = lode::testing::ExampleRun();
  d.run_id = run_id;
  d.job_id = std::move(job);
  d.started_at = started_at;
  d.executor = executor;
  return d;
}

inline Event Ev(const RunDescriptor& d, int64_t seq, const std::string& type, const std::string& id,
                std::string payload = std::string(1, '\x80')) {
  EventSpec s;
  s.run_id = d.run_id;
  s.job_id = d.job_id;
  s.type = type;
  s.seq = seq;
  s.event_id = id;
  s.ts = d.started_at;
  s.payload = std::move(payload);
  return MakeEvent(s);
}

inline std::string Metrics(const RunDescriptor& d, const std::string& ts,
                           const std::string& outcome, int completed, int failed, int crashed,
                           int received, int ipc_errors = 0, const std::string& extra = "") {
  std::string job = d.job_id ? ",\"job_id\":\"" + *d.job_id + "\"" : "";
  return "{\"category\":\"products\",\"day\":\"2026-03-22\"" + extra +
         ",\"event_type\":\"metrics\",\"events_dropped_total\":0,\"events_persisted_total\":" +
         std::to_string(received) + ",\"events_received_total\":" + std::to_string(received) +
         ",\"executor\":\"" + d.executor +
         "\",\"executor_crash_total\":" + std::to_string(ipc_errors) +
         ",\"executor_launch_failure_total\":0,\"executor_launch_success_total\":1,"
         "\"ipc_decode_errors_total\":" +
         std::to_string(ipc_errors) + job +
         ",\"lode_write_failure_total\":0,\"lode_write_retry_total\":0,"
         "\"lode_write_success_total\":2,\"outcome\":\"" +
         outcome + "\",\"outcome_message\":\"msg " + outcome +
         "\",\"policy\":\"strict\",\"record_kind\":\"metrics\",\"run_id\":\"" + d.run_id +
         "\",\"runs_completed_total\":" + std::to_string(completed) +
         ",\"runs_crashed_total\":" + std::to_string(crashed) +
         ",\"runs_failed_total\":" + std::to_string(failed) +
         ",\"runs_started_total\":1,\"source\":\"shop\",\"storage_backend\":\"mem\",\"ts\":\"" +
         ts + "\"}";
}

inline std::string EnqueuePayload(const std::string& target) {
  return Pack([&](Packer& p) {
    p.pack_map(1);
    PackStr(p, "target");
    PackStr(p, target);
  });
}

}  // namespace quarry::read::testing
