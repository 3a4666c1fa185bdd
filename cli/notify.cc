#include "notify.h"

#include <chrono>
#include <ctime>

#include "quarry/adapters/outbox.h"
#include "quarry/log.h"
#include "quarry/run/report.h"

namespace quarry::cli {
namespace {

std::string UtcNowSeconds() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

adapters::RunCompleted BuildRunCompleted(const NotifyTarget& t, const run::RunResult& result,
                                         int64_t wall_ms) {
  adapters::RunCompleted n;
  n.run_id = result.meta.run_id;
  n.source = t.source;
  n.category = t.category;
  n.day = result.day;
  n.outcome = std::string(run::OutcomeName(result.outcome));
  n.storage_path = adapters::FsStoragePath(t.storage_root, t.dataset, t.source, t.category,
                                           result.day, result.meta.run_id);
  n.timestamp = UtcNowSeconds();
  n.job_id = result.meta.job_id;
  n.attempt = result.meta.attempt;
  n.event_count = result.event_count;
  n.duration_ms = wall_ms;
  return n;
}

void NotifyAdapter(const NotifyTarget& t, const run::RunResult& result, int64_t wall_ms) {
  if (!t.adapter) return;
  auto adapter = adapters::NewAdapter(*t.adapter);
  if (!adapter.ok()) {
    log::Warning("adapter creation failed: " + adapter.status().message());
    return;
  }
  adapters::Outbox outbox(t.store, t.dataset);
  Status s = adapters::DeliverWithOutbox(&outbox, adapter->get(), *t.adapter,
                                         BuildRunCompleted(t, result, wall_ms),
                                         [](const std::string& w) { log::Warning(w); });
  if (!s.ok()) log::Warning("adapter notification failed: " + s.message());
}

void RedrivePendingNotifications(const NotifyTarget& t) {
  if (!t.adapter || !t.store) return;
  auto adapter = adapters::NewAdapter(*t.adapter);
  if (!adapter.ok()) return;  // reported after the run ("adapter creation failed")
  adapters::Outbox outbox(t.store, t.dataset);
  auto r = adapters::Redrive(&outbox, adapter->get(), *t.adapter, std::chrono::hours(24),
                             [](const std::string& w) { log::Warning(w); });
  if (!r.ok()) {
    log::Warning("outbox: cannot read pending notifications: " + r.status().message());
  } else if (r->delivered > 0) {
    log::Write(log::Level::kInfo,
               "outbox: re-delivered " + std::to_string(r->delivered) + " pending notification(s)");
  }
}

}  // namespace quarry::cli
