#include "quarry/fanout/settings.h"

namespace quarry::fanout {

Status ValidateSettings(const Settings& s, const std::function<void(const std::string&)>& warn) {
  auto bad = [](const std::string& what, int64_t got) {
    return InvalidArgumentError(what + " (got " + std::to_string(got) + ")");
  };
  if (s.depth < 0) return bad("--depth must be >= 0", s.depth);
  if (s.max_runs < 0) return bad("--max-runs must be >= 0", s.max_runs);
  if (s.parallel < 1) return bad("--parallel must be >= 1", s.parallel);
  if (s.child_retries < 0) return bad("--child-retries must be >= 0", s.child_retries);
  if (s.depth > 0 && s.max_runs == 0) {
    return InvalidArgumentError("--max-runs must be > 0 when --depth > 0");
  }
  if (s.resume && s.depth == 0) {
    return InvalidArgumentError("--resume continues a fan-out crawl: it needs --depth > 0");
  }
  if (warn && s.depth == 0) {
    if (s.parallel_set && s.parallel > 1) warn("--parallel has no effect without --depth");
    if (s.child_retries > 0) warn("--child-retries has no effect without --depth");
  }
  return Status::Ok();
}

}  // namespace quarry::fanout
