#include "run_reuse.h"

#include <ctime>

#include "quarry/lode/run_writer.h"
#include "quarry/redact.h"

namespace quarry::cli {

std::optional<std::string> RunIdReuseWarning(lode::Store& store, const std::string& dataset,
                                             const std::string& source, const std::string& category,
                                             const std::string& day, const std::string& run_id) {
  // Only this day's partition: one small listing. The same id under another day, source or
  // category is not looked for (that would mean scanning every manifest before each run).
  std::string prefix = "datasets/" + dataset +
                       "/partitions/source=" + lode::EscapePartitionValue(source) +
                       "/category=" + lode::EscapePartitionValue(category) + "/day=" + day +
                       "/run_id=" + lode::EscapePartitionValue(run_id) + "/";
  StatusOr<std::vector<std::string>> keys = store.List(prefix);
  if (!keys.ok() || keys->empty()) return std::nullopt;
  return "run id \"" + PrintableValue(run_id, 200) + "\" already has data in dataset \"" + dataset +
         "\" (" + prefix +
         "): this run's records are added to the same partition and read back together with "
         "the earlier ones; use a new --run-id to keep runs apart";
}

std::string TodayUtc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace quarry::cli
