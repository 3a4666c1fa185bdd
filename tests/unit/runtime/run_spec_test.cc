#include "quarry/run/run_spec.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace quarry::run {
namespace {

namespace fs = std::filesystem;

class ScratchDir {
 public:
  ScratchDir()
      : path_(fs::temp_directory_path() / ("run_spec_test_" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(CheckScriptReadable, MissingDirectoryUnreadable) {
  ScratchDir dir;
  EXPECT_EQ(CheckScriptReadable((dir.path() / "nope.mjs").string()).message(),
            "script not found: " + (dir.path() / "nope.mjs").string());
  EXPECT_EQ(CheckScriptReadable((dir.path() / "nope.mjs").string()).code(), StatusCode::kNotFound);
  EXPECT_EQ(CheckScriptReadable(dir.path().string()).message(),
            "script is not a file: " + dir.path().string());
  auto file = dir.path() / "ok.mjs";
  std::ofstream(file) << "export default async () => {};\n";
  EXPECT_TRUE(CheckScriptReadable(file.string()).ok());
  if (::geteuid() != 0) {  // root reads anything
    ::chmod(file.c_str(), 0);
    EXPECT_EQ(CheckScriptReadable(file.string()).message(),
              "cannot read script " + file.string() + ": Permission denied");
  }
}

// The Temporal activity builds its run here too: a script missing on the worker is refused before
// the store is opened or an executor started.
TEST(BuildRunConfig, RefusesAScriptThatDoesNotExistBeforeTouchingStorage) {
  ScratchDir dir;
  RunSpec spec;
  spec.script = (dir.path() / "missing.mjs").string();
  spec.run_id = "r1";
  spec.source = "s";
  spec.storage_backend = "fs";
  spec.storage_path = (dir.path() / "lode").string();  // absent: would be the next error
  auto config = BuildRunConfig(spec, nullptr);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "script not found: " + spec.script);
  EXPECT_FALSE(fs::exists(dir.path() / "lode"));
}

}  // namespace
}  // namespace quarry::run
