// The runs file of a batch (temporal/worker/batch_runs_activity.cc, ReadQuarryBatchRuns, and
// workflows/batch_params.h SplitRunLines/MergeRun): a JSONL file the worker reads a slice of.
//
// Input: the first line is the activity's input (a JSON object; `runs_file` is set here to the
// file holding the rest of the input), the rest is the file (seeds: JSONL runs files and the
// recorded ReadQuarryBatchRuns inputs, fuzz/corpus/make_seeds.py). Checked: no crash and no
// exception escapes the activity; a slice it returns has runs_count runs (or all from
// runs_offset), each a JSON object, with line_count the file's non-blank lines; each run merges
// with {} or is refused naming its index.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "worker/batch_runs_activity.h"
#include "workflows/batch_params.h"

namespace {

using nlohmann::json;
namespace qt = quarry::temporal;

const std::string& RunsPath() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/quarry-fuzz-runs-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    FUZZ_CHECK(fd >= 0);
    ::close(fd);
    return std::string(tmpl);
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t nl = all.find('\n');
  std::string_view head = all.substr(0, nl);
  std::string_view file = nl == std::string_view::npos ? std::string_view() : all.substr(nl + 1);

  json input = json::parse(head, nullptr, /*allow_exceptions=*/false);
  if (!input.is_object()) input = json::object();
  input["runs_file"] = RunsPath();

  const int fd = ::open(RunsPath().c_str(), O_WRONLY | O_TRUNC);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(::write(fd, file.data(), file.size()) == static_cast<ssize_t>(file.size()));
  ::close(fd);

  qt::ActivityOutcome out = qt::ReadBatchRuns(input);
  if (out.kind != qt::ActivityOutcome::Kind::kCompleted) {
    FUZZ_CHECK(!out.error.message.empty());
    return 0;
  }
  const auto lines = qt::SplitRunLines(file);
  FUZZ_CHECK(out.result["line_count"].get<int64_t>() == static_cast<int64_t>(lines.size()));
  const json& runs = out.result["runs"];
  FUZZ_CHECK(runs.is_array());
  const int64_t total = static_cast<int64_t>(lines.size());
  const int64_t offset = input.value("runs_offset", int64_t{0});
  const int64_t count = input.value("runs_count", int64_t{-1});
  if (offset >= 0 && count >= -1 && offset < (int64_t{1} << 40) && count < (int64_t{1} << 40)) {
    const int64_t end = count < 0 ? total : std::min(total, offset + count);
    FUZZ_CHECK(static_cast<int64_t>(runs.size()) == std::max<int64_t>(0, end - offset));
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    FUZZ_CHECK(runs[i].is_object());
    auto merged = qt::MergeRun(json::object(), runs[i], static_cast<int64_t>(i));
    if (!merged.ok()) {
      FUZZ_CHECK(merged.status().message().rfind("run " + std::to_string(i), 0) == 0);
    }
  }
  return 0;
}
