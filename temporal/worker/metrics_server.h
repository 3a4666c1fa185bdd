// `quarry-temporal worker --metrics-address host:port`: GET /metrics serves WorkerMetrics in the
// Prometheus text format, over libmicrohttpd (Debian libmicrohttpd-dev) on its own thread.
#pragma once

#include <memory>
#include <string>

#include "quarry/status.h"
#include "worker/worker_metrics.h"

struct MHD_Daemon;

namespace quarry::temporal {

class MetricsServer {
 public:
  // `address`: "host:port" with a numeric IPv4 host (e.g. 127.0.0.1:9464, 0.0.0.0:9464); port 0
  // picks a free one. Errors name the address.
  static StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address,
                                                        const WorkerMetrics* metrics);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }

 private:
  MetricsServer() = default;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

}  // namespace quarry::temporal
