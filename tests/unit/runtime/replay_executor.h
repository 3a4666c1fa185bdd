// An executor stand-in for orchestrator tests: a shell script in a temporary directory of its own
// that records its pid, writes prepared frames to stdout, optionally sleeps ($QT_SLEEP) and exits
// with a chosen code. It drives the real RunOrchestrator without Node or a browser.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "quarry/run/run_config.h"

namespace quarry::run::testing {

class ReplayExecutor {
 public:
  ReplayExecutor() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "replay-executor-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    path_ = dir_ + "/executor.sh";
    std::ofstream(path_) << "#!/bin/sh\n"
                            "echo $$ > \"$QT_PID_FILE\"\n"
                            "cat \"$QT_FRAMES\"\n"
                            "[ -n \"$QT_SLEEP\" ] && sleep \"$QT_SLEEP\"\n"
                            "exit \"$QT_EXIT\"\n";
    ::chmod(path_.c_str(), 0755);
  }
  ~ReplayExecutor() { std::filesystem::remove_all(dir_); }
  ReplayExecutor(const ReplayExecutor&) = delete;
  ReplayExecutor& operator=(const ReplayExecutor&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& path() const { return path_; }
  // Where the script writes its pid.
  std::string pid_file() const { return dir_ + "/pid"; }

  // Stores the already framed bytes for the next run and points `c` at the script: executor
  // path, a script name, and the environment it reads.
  void Configure(const std::string& framed, int exit_code, RunConfig* c) const {
    std::ofstream(dir_ + "/frames.bin", std::ios::binary) << framed;
    c->executor_path = path_;
    c->script_path = "script.mjs";
    c->env = {{"QT_PID_FILE", pid_file()},
              {"QT_FRAMES", dir_ + "/frames.bin"},
              {"QT_EXIT", std::to_string(exit_code)}};
  }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace quarry::run::testing
