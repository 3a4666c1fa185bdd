// Structured logs: one JSON object per line on stderr (cli-and-integrations.md §2) with keys
// timestamp, level, message, run_id, attempt, job_id?, parent_run_id?, fields. The threshold
// comes from QUARRY_LOG_LEVEL (debug|info|warn|error, default info). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace quarry::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct RunContext {
  std::string run_id;
  int64_t attempt = 0;
  std::optional<std::string> job_id;
  std::optional<std::string> parent_run_id;
};

void SetLevel(Level level);
Level GetLevel();
// Reads QUARRY_LOG_LEVEL; unknown values keep the default (info).
void InitFromEnv();

// `fields_json` must be a JSON object text.
void Write(Level level, std::string_view message, const RunContext* run = nullptr,
           std::string_view fields_json = "{}");

// Called around every log line while set, so a live progress line can be erased and redrawn.
void SetLineHooks(std::function<void()> before, std::function<void()> after);

// Runs `fn` under the logger's lock (to draw a status line without interleaving with logs).
void Locked(const std::function<void()>& fn);

// Plain "Warning: <text>" line on stderr (CLI warnings), with the same hooks.
void Warning(std::string_view text);
// Plain "Error: <text>" line on stderr: every command's one-line error.
void Error(std::string_view text);

}  // namespace quarry::log
