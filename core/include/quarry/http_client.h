// The one way the runtime makes an HTTP request (browser endpoint probe, webhook adapter, the
// Temporal NotifyWebhook activity, the S3 store and its credential providers): libcurl, blocking,
// no signals. Error messages never contain a URL's userinfo or query string (D11.25).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quarry/duration.h"
#include "quarry/status.h"

namespace quarry::http {

struct Request {
  std::string method = "GET";  // GET, POST, PUT, HEAD or DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;                       // sent for POST and PUT; must outlive Send
  Duration timeout{std::chrono::seconds(10)};  // the whole transfer
  Duration connect_timeout{0};                 // 0: curl's default
  bool follow_redirects = false;               // like Go's client: up to 10 hops
  bool keep_body = false;                      // Response::body holds the answer; else discarded
  // Polled while the transfer runs; returning true aborts it (Cancelled).
  std::function<bool()> should_abort;
  // AWS Signature V4 by libcurl (CURLOPT_AWS_SIGV4), e.g. "aws:amz:us-east-1:s3", with the key
  // pair as user and password. The caller sends x-amz-content-sha256 itself, which curl signs as
  // the payload hash.
  std::string aws_sigv4;
  std::string aws_access_key;
  std::string aws_secret_key;
};

struct Response {
  long status = 0;
  std::string body;  // only with keep_body
  // Response header names lower-cased, in arrival order (the last response of a redirect chain).
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header of that (lower-case) name, or nullptr.
  const std::string* Header(std::string_view name) const;
};

// Keep-alive connections for one client (the S3 store): requests sent through it reuse idle curl
// handles and their open connections instead of a new TCP/TLS handshake each. Thread-safe.
class Connections {
 public:
  Connections();
  ~Connections();
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

  struct Impl;

 private:
  friend StatusOr<Response> Send(const Request& request, Connections* pool);
  std::unique_ptr<Impl> impl_;
};

// Any HTTP status is a successful call; a transport failure is Unavailable
// ("POST https://***@host/path?***: Couldn't connect to server"), an abort is Cancelled.
// Without a pool the connection is closed afterwards.
StatusOr<Response> Send(const Request& request, Connections* pool = nullptr);

}  // namespace quarry::http
