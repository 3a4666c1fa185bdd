// The post-run adapter notification of `quarry run` (cli-and-integrations.md §4.5 step 2, §8.2):
// best effort, warnings only, never changes the exit code.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "quarry/adapters/adapters.h"
#include "quarry/lode/store.h"
#include "quarry/run/run_result.h"

namespace quarry::cli {

struct NotifyTarget {
  std::optional<adapters::AdapterConfig> adapter;
  std::shared_ptr<lode::Store> store;
  std::string storage_root;  // absolute fs root, or "s3://bucket[/prefix]"
  std::string dataset, source, category;
};

// The §8.2 payload of `result` (timestamp = now).
adapters::RunCompleted BuildRunCompleted(const NotifyTarget& t, const run::RunResult& result,
                                         int64_t wall_ms);

// Sends the notification when an adapter is configured, through the outbox (§8.6): a pending
// record first, a delivered record after success. Prints warnings on failure.
void NotifyAdapter(const NotifyTarget& t, const run::RunResult& result, int64_t wall_ms);

// §8.6 step 4, before the run: re-publishes this adapter's undelivered notifications younger than
// 24 hours from the dataset. Warnings only.
void RedrivePendingNotifications(const NotifyTarget& t);

}  // namespace quarry::cli
