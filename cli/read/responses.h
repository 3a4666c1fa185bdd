// The response objects of the read-only commands (cli-and-integrations.md §5.3–§5.7), built from
// the read model, with the documented keys in the documented order.
#pragma once

#include <nlohmann/json.hpp>

#include "quarry/read/model.h"

namespace quarry::cli {

nlohmann::ordered_json RunResponse(const read::Run& run);
nlohmann::ordered_json JobResponse(const read::Job& job);
nlohmann::ordered_json TaskResponse(const read::Task& task);
nlohmann::ordered_json ExecutorResponse(const read::Executor& executor);
// `stats runs|jobs|tasks` (total, running, succeeded, failed) and `stats executors` (total,
// running, idle, failed).
nlohmann::ordered_json CountsResponse(const read::Counts& c);
nlohmann::ordered_json ExecutorCountsResponse(const read::Counts& c);
// `list runs` items (run_id, state, started_at), filtered by state ("" = all), then truncated
// to `limit` (0 = all).
nlohmann::ordered_json RunListResponse(const read::Dataset& d, std::string_view state,
                                       int64_t limit);
nlohmann::ordered_json JobListResponse(const read::Dataset& d);
nlohmann::ordered_json ExecutorListResponse(const read::Dataset& d);

}  // namespace quarry::cli
