// The state of a QuarryCrawlWorkflow that outlives one execution: what continue-as-new carries to
// the next run (docs/temporal.md, "Continue-as-new"). Everything here is plain data derived from
// history, so every replay rebuilds it identically.
//
// The frontier travels as the `frontier` field of the next run's input:
//   {"format": "zlib-base64-v1", "continued": n, "queued": q, "dedup_keys": k, "state": "<...>"}
// `state` is base64 of the zlib-compressed JSON of the fields below; the dedup set inside it is
// base64 of 8-byte key prefixes (see DedupSet). The plain counts are there for people reading the
// history in the Web UI; the workflow reads only `state`.
#pragma once

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_set>

#include "quarry/status.h"

namespace quarry::temporal {

inline constexpr char kFrontierFormat[] = "zlib-base64-v1";
// An encoded frontier larger than this is not carried (Temporal refuses payloads over 2 MB).
inline constexpr size_t kMaxFrontierBytes = 1536 * 1024;
// The summary lists at most this many child runs, and at most this many failed ones.
inline constexpr size_t kMaxChildRunsListed = 100;

// The crawl's dedup keys (fanout::DedupKey: hex SHA-256 of target, 0x00, canonical params), kept
// as their first 64 bits. Two different tasks share a prefix with probability about n² / 2^65
// (3·10⁻¹¹ for 50,000 keys); the second would be counted as deduped.
class DedupSet {
 public:
  // False when the key (its prefix) is already there.
  bool Insert(std::string_view hex_key);
  bool Contains(std::string_view hex_key) const;
  size_t size() const { return keys_.size(); }
  // Base64 of the sorted prefixes, 8 bytes big-endian each.
  std::string Encode() const;
  static StatusOr<DedupSet> Decode(std::string_view base64);

 private:
  static uint64_t Prefix(std::string_view hex_key);
  std::unordered_set<uint64_t> keys_;
};

// An accepted task that has not run yet.
struct QueuedTask {
  int64_t index = 0;  // 0 = the root; children from 1 in the order they were accepted
  int64_t depth = 0;
  std::string target;  // as enqueued
  nlohmann::json params = nlohmann::json::object();
  std::string source;  // effective (the enqueue's override or the enqueuing run's value)
  std::string category;
  std::string enqueued_by_run_id;
  std::string enqueued_by_event_id;
};

struct CrawlCounters {
  int64_t accepted = 0;  // tasks accepted (against max_runs)
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t canceled = 0;
  int64_t received = 0;
  int64_t deduped = 0;
  int64_t skipped_invalid = 0;     // no usable target
  int64_t skipped_depth = 0;       // deeper than `depth`
  int64_t skipped_max_runs = 0;    // max_runs already accepted
  int64_t skipped_result_cap = 0;  // left out of an activity result by its caps
  int64_t skipped() const {
    return skipped_invalid + skipped_depth + skipped_max_runs + skipped_result_cap;
  }
};

struct CrawlState {
  std::string crawl_run_id;  // run id of the crawl's first execution: the seed of all run ids
  int64_t continued = 0;     // executions before this one
  int64_t next_index = 1;
  nlohmann::json root;  // {run_id, outcome, attempts, final} once the root ended, else null
  CrawlCounters counters;
  nlohmann::json child_runs = nlohmann::json::array();  // the first kMaxChildRunsListed ended
  nlohmann::json failed_runs = nlohmann::json::array();
  bool child_runs_truncated = false;
  bool failed_runs_truncated = false;
  std::deque<QueuedTask> queue;
  DedupSet dedup;
};

// The `frontier` object of the next execution's input.
StatusOr<nlohmann::json> EncodeFrontier(const CrawlState& state);
// Errors name what is wrong ("frontier: ..."); a frontier is checked like any other input.
StatusOr<CrawlState> DecodeFrontier(const nlohmann::json& frontier);

}  // namespace quarry::temporal
