#include "worker/batch_runs_activity.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "client/json_depth.h"
#include "quarry/json/parse.h"
#include "quarry/sha256.h"
#include "workflows/batch_params.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

// A slice must fit in one payload (Temporal refuses those over 2 MB) with room for the envelope.
constexpr size_t kMaxSliceBytes = 1536 * 1024;

ActivityOutcome ConfigError(std::string message) {
  ActivityOutcome o;
  o.kind = ActivityOutcome::Kind::kFailed;
  o.error = {kConfigError, std::move(message), /*non_retryable=*/true, std::nullopt};
  return o;
}

}  // namespace

ActivityOutcome ReadBatchRuns(const std::optional<json>& input) {
  if (!input || !input->is_object() || !input->contains("runs_file") ||
      !(*input)["runs_file"].is_string()) {
    return ConfigError(std::string(kReadRunsActivity) + " needs {runs_file, ...}");
  }
  const std::string path = (*input)["runs_file"].get<std::string>();
  const std::string want_sha = ::quarry::json::StringOr(*input, "runs_file_sha256", "");
  const int64_t offset = ::quarry::json::IntOr(*input, "runs_offset", -2);
  const int64_t count = ::quarry::json::IntOr(*input, "runs_count", -2);
  if (offset < 0 && input->contains("runs_offset")) {
    return ConfigError("runs_offset must be an integer >= 0");
  }
  if (count < -1 && input->contains("runs_count")) {
    return ConfigError("runs_count must be an integer >= 0 (or -1: to the end)");
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) return ConfigError("cannot read runs file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return ConfigError("cannot read runs file " + path);
  const std::string text = ss.str();
  const std::string sha = Sha256Hex(text);
  if (!want_sha.empty() && sha != want_sha) {
    return ConfigError("runs file " + path + " changed since the batch started (sha256 " + sha +
                       ", expected " + want_sha + ")");
  }

  const std::vector<RunLine> lines = SplitRunLines(text);
  const int64_t total = static_cast<int64_t>(lines.size());
  const int64_t first = std::min(std::max<int64_t>(offset, 0), total);
  // count < 0: to the end. Written so that no sum can overflow, whatever the input says.
  const int64_t end = count < 0 ? total : first + std::min(count, total - first);
  json runs = json::array();
  size_t bytes = 0;
  for (int64_t i = first; i < end; ++i) {
    const std::string where = "runs file " + path + " line " + std::to_string(lines[i].line_no);
    // The file may have changed since `batch` checked it, or been written by another client.
    if (size_t at = ::quarry::json::FindTooDeep(lines[i].text, kMaxRunLineDepth);
        at != std::string::npos) {
      return ConfigError(where + ": nested deeper than " + std::to_string(kMaxRunLineDepth) +
                         " levels (at byte " + std::to_string(at) + ")");
    }
    json run = json::parse(lines[i].text, nullptr, /*allow_exceptions=*/false);
    if (run.is_discarded() || !run.is_object()) return ConfigError(where + ": not a JSON object");
    bytes += lines[i].text.size();
    if (bytes > kMaxSliceBytes) {
      return ConfigError("runs " + std::to_string(offset) + ".." + std::to_string(end - 1) +
                         " of " + path + " exceed " + std::to_string(kMaxSliceBytes) +
                         " bytes, too large for one payload: use a smaller chunk_size");
    }
    runs.push_back(std::move(run));
  }
  ActivityOutcome o;
  o.result = {{"line_count", total}, {"sha256", sha}, {"runs", std::move(runs)}};
  return o;
}

}  // namespace quarry::temporal
