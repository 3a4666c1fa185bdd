// The notification outbox (cli-and-integrations.md §8.6; on-disk format in docs/outbox.md):
// at-least-once delivery of `run_completed` for standalone runs. Records are immutable JSON
// objects stored next to the run's data, under its partition with event_type=adapter_outbox; the
// state of a run's notification is its latest record.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "quarry/adapters/adapters.h"
#include "quarry/duration.h"
#include "quarry/lode/store.h"
#include "quarry/status.h"

namespace quarry::adapters {

inline constexpr std::string_view kOutboxPending = "notification_pending";
inline constexpr std::string_view kOutboxDelivered = "delivered";

// What identifies "the same adapter configuration" without credentials: the type, the redacted
// URL and, for redis, the channel.
std::string OutboxTarget(const AdapterConfig& config);
// The key that matches records to an adapter on re-delivery (OutboxEntry::target_key).
std::string OutboxTargetKey(const AdapterConfig& config);

struct OutboxEntry {
  std::string key;  // store-relative path of the latest record
  std::string state;
  std::string run_id, source, category, day;
  std::string adapter_type, target, created_at;
  // "sha256:<hex>" of the adapter's type, full URL and channel: matches a record to its adapter
  // on re-delivery although `target` (shown to people) has the URL's secrets redacted, so two
  // webhooks differing only in a path token stay apart. Empty in records of earlier releases.
  std::string target_key;
  int64_t created_unix_ns = 0;
  std::string notification;  // the run_completed JSON text, byte for byte
};

class Outbox {
 public:
  Outbox(std::shared_ptr<lode::Store> store, std::string dataset);

  // Appends a record (exclusive create) for the notification `n` (whose JSON text is `json`).
  Status Append(std::string_view state, const RunCompleted& n, const std::string& json,
                const AdapterConfig& config);
  // The latest record of every run whose latest record is notification_pending, oldest first.
  StatusOr<std::vector<OutboxEntry>> Pending();
  // Appends `delivered` for an entry returned by Pending().
  Status MarkDelivered(const OutboxEntry& e);

 private:
  Status Put(const std::string& dir, std::string_view state, const std::string& body);
  std::shared_ptr<lode::Store> store_;
  std::string dataset_;
};

// Standalone delivery: pending record, publish (with the adapter's retries), delivered record.
// A failed pending write is reported through `warn` and the publish still happens.
Status DeliverWithOutbox(Outbox* outbox, Adapter* adapter, const AdapterConfig& config,
                         const RunCompleted& n,
                         const std::function<void(const std::string&)>& warn);

struct RedriveResult {
  int delivered = 0, failed = 0, skipped = 0;  // skipped: other target, or too old
  int left_pending = 0;                        // pending after the re-drive (all targets)
};
// Re-publishes the pending notifications of `config`'s target (younger than `max_age` when set).
StatusOr<RedriveResult> Redrive(Outbox* outbox, Adapter* adapter, const AdapterConfig& config,
                                std::optional<Duration> max_age,
                                const std::function<void(const std::string&)>& warn);

}  // namespace quarry::adapters
