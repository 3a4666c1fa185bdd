#include "quarry/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include "quarry/json/canonical_json.h"
#include "quarry/redact.h"

namespace quarry::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mu;
std::function<void()> g_before;
std::function<void()> g_after;

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string NowRfc3339Nanos() {
  auto now = std::chrono::system_clock::now();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  std::string frac = std::to_string(ns % 1'000'000'000);
  frac.insert(0, 9 - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) out += "." + frac;
  return out + "Z";
}

void Emit(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_before) g_before();
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  if (g_after) g_after();
}

}  // namespace

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }
Level GetLevel() { return static_cast<Level>(g_level.load()); }

void InitFromEnv() {
  const char* v = std::getenv("QUARRY_LOG_LEVEL");
  if (v == nullptr) return;
  std::string_view s(v);
  if (s == "debug") SetLevel(Level::kDebug);
  if (s == "info") SetLevel(Level::kInfo);
  if (s == "warn") SetLevel(Level::kWarn);
  if (s == "error") SetLevel(Level::kError);
}

void Write(Level level, std::string_view message, const RunContext* run,
           std::string_view fields_json) {
  if (static_cast<int>(level) < g_level.load()) return;
  // Key order is fixed for readability; consumers parse JSON and must not depend on it.
  std::string line = "{\"timestamp\":";
  json::AppendString(NowRfc3339Nanos(), &line);
  line += ",\"level\":";
  json::AppendString(LevelName(level), &line);
  line += ",\"message\":";
  json::AppendString(message, &line);
  if (run != nullptr) {
    line += ",\"run_id\":";
    json::AppendString(run->run_id, &line);
    line += ",\"attempt\":" + std::to_string(run->attempt);
    if (run->job_id) {
      line += ",\"job_id\":";
      json::AppendString(*run->job_id, &line);
    }
    if (run->parent_run_id) {
      line += ",\"parent_run_id\":";
      json::AppendString(*run->parent_run_id, &line);
    }
  }
  line += ",\"fields\":";
  line += fields_json.empty() ? std::string_view("{}") : fields_json;
  line += "}\n";
  Emit(line);
}

void SetLineHooks(std::function<void()> before, std::function<void()> after) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_before = std::move(before);
  g_after = std::move(after);
}

void Locked(const std::function<void()>& fn) {
  std::lock_guard<std::mutex> lock(g_mu);
  fn();
}

// Messages carry user values (run ids, paths, names): escaped so one message stays one line.
void Warning(std::string_view text) { Emit("Warning: " + PrintableValue(text, 4000) + "\n"); }

void Error(std::string_view text) { Emit("Error: " + PrintableValue(text, 4000) + "\n"); }

}  // namespace quarry::log
