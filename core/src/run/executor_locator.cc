#include "quarry/run/run_spec.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace quarry::run {
namespace fs = std::filesystem;

namespace {

fs::path SelfDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : self.parent_path();
}

bool IsExecutableFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

StatusOr<std::string> LocateExecutor(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    std::error_code ec;
    if (!fs::exists(explicit_path, ec)) {
      return NotFoundError("executor not found: " + explicit_path);
    }
    return fs::absolute(explicit_path).string();
  }
  fs::path dir = SelfDir();
  std::vector<fs::path> candidates = {
      // Installed layout: <prefix>/bin/quarry + <prefix>/share/quarry/executor/executor.mjs.
      dir / "../share/quarry/executor/executor.mjs",
      dir / "executor.mjs",
      // Development layout: <repo>/build*/cli/quarry + <repo>/executor/dist/executor.mjs.
      dir / "../../executor/dist/executor.mjs",
      dir / "../executor/dist/executor.mjs",
  };
  for (const auto& c : candidates) {
    if (IsExecutableFile(c)) return fs::weakly_canonical(c).string();
  }
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      fs::path c = fs::path(std::string(rest.substr(0, colon))) / "quarry-executor";
      if (IsExecutableFile(c)) return c.string();
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  return NotFoundError(
      "executor not found: build it (scripts/setup.sh), pass --executor <path>, or put "
      "quarry-executor on PATH");
}

}  // namespace quarry::run
