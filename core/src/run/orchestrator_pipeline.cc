#include "run/orchestrator_internal.h"

#include <map>

namespace quarry::run::orchestrator_internal {

void ClosePipeline(RunPipeline& p) {
  if (Status closed = p.policy->Close(); !closed.ok()) {
    log::Write(log::Level::kWarn, "policy close: " + closed.message(), &p.log_ctx);
  }
  if (Status closed = p.event_sinks->Close(); !closed.ok()) {
    log::Write(log::Level::kWarn, "event sink close: " + closed.message(), &p.log_ctx);
  }
}

void SinkCounters(const sinks::FanOutSink& sinks, bool configured, RunResult* r) {
  r->policy_stats.events_persisted = sinks.events_stored();
  r->metrics.events_persisted_total = r->policy_stats.events_persisted;
  if (!configured) return;
  std::map<std::string, uint64_t> by_sink;
  uint64_t dropped = 0;
  for (const auto& c : sinks.counts()) {
    by_sink[c.label] = c.stored;
    dropped += c.dropped;
  }
  r->metrics.events_persisted_by_sink = std::move(by_sink);
  r->metrics.event_sink_dropped_total = dropped;
}

}  // namespace quarry::run::orchestrator_internal
