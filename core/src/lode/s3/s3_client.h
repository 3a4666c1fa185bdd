// One S3 request at a time, signed and retried (storage-and-policies.md §5.5): the part of the S3
// store that speaks HTTP. Keys given here are full object keys (prefix included).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lode/s3/aws_credentials.h"
#include "quarry/http_client.h"
#include "quarry/lode/s3_store.h"
#include "quarry/status.h"

namespace quarry::lode {

struct S3Call {
  std::string method = "GET";
  std::string key;    // object key; empty: the bucket itself
  std::string query;  // already canonical (S3QueryString), without '?'
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

struct S3Reply {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string code;     // S3 error code from the body (or "NotFound"-like for bodiless answers)
  std::string message;  // S3 error message
  int attempts = 1;     // how many times the request was sent

  bool ok() const { return status >= 200 && status < 300; }
  const std::string* Header(std::string_view lower_name) const;
};

// RFC 3986 percent-encoding as SigV4 wants it: unreserved bytes stay, '/' stays when asked.
std::string S3UriEncode(std::string_view text, bool keep_slash);
// "k1=v1&k2=v2" with keys sorted and both sides encoded (the canonical query SigV4 signs).
std::string S3QueryString(std::vector<std::pair<std::string, std::string>> params);

class S3Client {
 public:
  explicit S3Client(S3Options options);

  // Sends the call, retrying transient failures (5xx, 429, throttling codes, transport errors and
  // timeouts) up to max_attempts with full-jitter backoff. Any HTTP answer is a reply; a
  // transport failure on the last attempt is an error naming the endpoint.
  StatusOr<S3Reply> Call(const S3Call& call);

  const S3Options& options() const { return options_; }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& region() const { return region_; }
  // "s3 bucket \"b\" at http://host:port" for messages.
  std::string Where() const;

 private:
  std::string Url(const S3Call& call) const;

  S3Options options_;
  std::string region_;
  std::string endpoint_;  // scheme://host[:port], no trailing '/'
  std::string sigv4_;     // "aws:amz:<region>:s3"
  std::shared_ptr<AwsCredentialChain> credentials_;
  http::Connections pool_;
};

}  // namespace quarry::lode
