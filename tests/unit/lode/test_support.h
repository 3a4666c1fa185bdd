// Shared fixtures of the Lode tests: temporary store roots, a scripted clock, the worked-example
// run (storage-and-policies.md §4.16).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include "quarry/lode/run_writer.h"

namespace quarry::lode::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/lode-test-XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(std::string_view rel) const { return path_ + "/" + std::string(rel); }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Hands out the given instants in order, then keeps counting up by 1 ns.
class ScriptedClock {
 public:
  explicit ScriptedClock(std::vector<int64_t> instants) : instants_(std::move(instants)) {}
  int64_t operator()() {
    std::lock_guard<std::mutex> lock(mu_);
    if (next_ < instants_.size()) {
      last_ = instants_[next_++];
    } else {
      ++last_;
    }
    return last_;
  }

 private:
  std::mutex mu_;
  std::vector<int64_t> instants_;
  size_t next_ = 0;
  int64_t last_ = 0;
};

inline RunDescriptor ExampleRun() {
  RunDescriptor run;
  run.dataset = "quarry";
  run.run_id = "run-001";
  run.attempt = 1;
  run.job_id = "job-42";
  run.source = "shop";
  run.category = "products";
  run.day = "2026-03-22";
  run.policy = "strict";
  run.executor = "executor.mjs";
  run.started_at = "2026-03-22T09:15:00.012Z";
  return run;
}

inline WriterOptions FastOptions() {
  WriterOptions o;
  o.commit_deadline = std::chrono::milliseconds(60000);
  o.stale_pointer_grace = std::chrono::milliseconds(50);
  return o;
}

}  // namespace quarry::lode::testing
