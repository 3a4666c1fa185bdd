// The one way the runtime makes an HTTP request (browser endpoint probe, webhook adapter, the
// Temporal NotifyWebhook activity): libcurl, blocking, no signals, response body discarded.
// Error messages never contain a URL's userinfo or query string (D11.25).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "quarry/duration.h"
#include "quarry/status.h"

namespace quarry::http {

struct Request {
  std::string method = "GET";  // GET or POST
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                            // sent for POST
  Duration timeout{std::chrono::seconds(10)};  // the whole transfer
  bool follow_redirects = false;               // like Go's client: up to 10 hops
  // Polled while the transfer runs; returning true aborts it (Cancelled).
  std::function<bool()> should_abort;
};

struct Response {
  long status = 0;
};

// Any HTTP status is a successful call; a transport failure is Unavailable
// ("POST https://***@host/path?***: Couldn't connect to server"), an abort is Cancelled.
StatusOr<Response> Send(const Request& request);

}  // namespace quarry::http
