// Shared by the two history replay targets: replays a history into a fresh workflow twice and
// checks that the result does not depend on anything but the history.
#pragma once

#include <google/protobuf/stubs/logging.h>

#include <string>

#include "fuzz_check.h"
#include "workflows/registry.h"
#include "workflows/replay.h"

namespace quarry::fuzz {

namespace history_pb = ::temporal::api::history::v1;

inline std::string Summary(const temporal::ReplayResult& r) {
  std::string s = std::to_string(static_cast<int>(r.kind)) + "|" + r.message;
  for (const auto& c : r.commands) s += "|" + c.SerializeAsString();
  return s;
}

// The workflow type the history starts, or (a mutated name) one of ours picked by `pick`, so a
// mutation of the name does not end every replay at "not registered".
inline std::string TypeFor(const history_pb::History& h, size_t pick) {
  static const char* const kTypes[] = {"QuarryExtractionWorkflow", "BatchExtraction", "BatchChunk",
                                       "LargeBatchExtraction"};
  std::string type;
  if (h.events_size() > 0) {
    type = h.events(0).workflow_execution_started_event_attributes().workflow_type().name();
  }
  if (temporal::CreateWorkflow(type) == nullptr) type = kTypes[pick % 4];
  return type;
}

inline void ReplayTwice(const history_pb::History& h, size_t pick) {
  // Mutated histories are full of invalid UTF-8 in string fields; protobuf logs each one.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(
        [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    return true;
  }();
  (void)quiet;
  ::temporal::api::common::v1::WorkflowExecution ex;
  if (h.events_size() > 0) {
    const auto& started = h.events(0).workflow_execution_started_event_attributes();
    ex.set_workflow_id(started.workflow_id());
    ex.set_run_id(started.original_execution_run_id());
  }
  const std::string type = TypeFor(h, pick);
  temporal::ReplayResult first = temporal::ReplayHistory(&temporal::CreateWorkflow, ex, type, h);
  temporal::ReplayResult second = temporal::ReplayHistory(&temporal::CreateWorkflow, ex, type, h);
  FUZZ_CHECK_EQ(Summary(first), Summary(second));
  if (first.kind != temporal::ReplayResult::Kind::kCommands) FUZZ_CHECK(!first.message.empty());
}

}  // namespace quarry::fuzz
