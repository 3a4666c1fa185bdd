#include "lode/s3/s3_client.h"

#include <algorithm>
#include <array>
#include <thread>

#include "lode/random_name.h"
#include "lode/s3/s3_xml.h"
#include "quarry/redact.h"
#include "quarry/sha256.h"

namespace quarry::lode {
namespace {

constexpr std::array<std::string_view, 9> kThrottleCodes = {"SlowDown",
                                                            "TooManyRequests",
                                                            "Throttling",
                                                            "ThrottlingException",
                                                            "RequestLimitExceeded",
                                                            "RequestThrottled",
                                                            "RequestTimeout",
                                                            "InternalError",
                                                            "ServiceUnavailable"};

bool Transient(const S3Reply& r) {
  if (r.status >= 500 || r.status == 429) return true;
  return std::find(kThrottleCodes.begin(), kThrottleCodes.end(), r.code) != kThrottleCodes.end();
}

// Full jitter: uniform in [0, min(cap, base x 2^(attempt-1))).
std::chrono::microseconds Backoff(const S3Options& o, int attempt) {
  uint64_t bound = static_cast<uint64_t>(o.backoff_base.count()) * 1000;
  const uint64_t cap = static_cast<uint64_t>(o.backoff_cap.count()) * 1000;
  for (int i = 1; i < attempt && bound < cap; ++i) bound *= 2;
  return std::chrono::microseconds(RandomBelow(std::min(bound, cap)));
}

// Bodiless answers (HEAD, some proxies) still need a code the error table can read.
std::string CodeForStatus(long status) {
  switch (status) {
    case 403:
      return "AccessDenied";
    case 404:
      return "NotFound";
    case 409:
      return "ConditionalRequestConflict";
    case 412:
      return "PreconditionFailed";
    case 429:
      return "TooManyRequests";
    case 503:
      return "SlowDown";
    default:
      return status >= 500 ? "InternalError" : "HTTP" + std::to_string(status);
  }
}

}  // namespace

const std::string* S3Reply::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return &v;
  }
  return nullptr;
}

std::string S3UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string S3QueryString(std::vector<std::pair<std::string, std::string>> params) {
  for (auto& [k, v] : params) {
    k = S3UriEncode(k, false);
    v = S3UriEncode(v, false);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;  // "uploads=" too: the canonical form SigV4 signs
  }
  return out;
}

S3Client::S3Client(S3Options options) : options_(std::move(options)) {
  credentials_ =
      options_.credentials ? options_.credentials : std::make_shared<AwsCredentialChain>();
  region_ = ResolveAwsRegion(options_.region, AwsEnvironment{});
  endpoint_ =
      options_.endpoint.empty() ? "https://s3." + region_ + ".amazonaws.com" : options_.endpoint;
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  sigv4_ = "aws:amz:" + region_ + ":s3";
}

std::string S3Client::Where() const {
  return "s3 bucket \"" + PrintableValue(options_.bucket, 80) + "\" at " + RedactUrl(endpoint_);
}

std::string S3Client::Url(const S3Call& call) const {
  const std::string key = S3UriEncode(call.key, true);
  std::string url;
  if (options_.path_style) {
    url = endpoint_ + "/" + S3UriEncode(options_.bucket, false) + "/" + key;
  } else {
    // Virtual-hosted: the bucket becomes the first label of the host.
    const size_t scheme_end = endpoint_.find("://");
    const size_t host = scheme_end == std::string::npos ? 0 : scheme_end + 3;
    url = endpoint_.substr(0, host) + options_.bucket + "." + endpoint_.substr(host) + "/" + key;
  }
  if (!call.query.empty()) url += "?" + call.query;
  return url;
}

StatusOr<S3Reply> S3Client::Call(const S3Call& call) {
  const int max_attempts = std::max(1, options_.max_attempts);
  const std::string payload_hash = Sha256Hex(call.body);
  Status last_error;
  for (int attempt = 1;; ++attempt) {
    StatusOr<AwsCredentials> creds = credentials_->Get();
    if (!creds.ok())
      return Status(creds.status().code(), Where() + ": " + creds.status().message());

    http::Request req;
    req.method = call.method;
    req.url = Url(call);
    req.body = call.body;
    req.keep_body = true;
    req.timeout = options_.request_timeout;
    req.connect_timeout = options_.connect_timeout;
    req.aws_sigv4 = sigv4_;
    req.aws_access_key = creds->access_key;
    req.aws_secret_key = creds->secret_key;
    req.headers = call.headers;
    req.headers.emplace_back("x-amz-content-sha256", payload_hash);
    if (!creds->session_token.empty()) {
      req.headers.emplace_back("x-amz-security-token", creds->session_token);
    }

    StatusOr<http::Response> resp = http::Send(req, &pool_);
    bool retry = false;
    S3Reply reply;
    if (!resp.ok()) {
      if (resp.status().code() == StatusCode::kCancelled) return resp.status();
      last_error = resp.status();
      retry = true;
    } else {
      reply.status = resp->status;
      reply.body = std::move(resp->body);
      reply.headers = std::move(resp->headers);
      reply.attempts = attempt;
      if (!reply.ok()) {
        s3xml::ErrorBody err = s3xml::ParseError(reply.body);
        reply.code = err.code.empty() ? CodeForStatus(reply.status) : err.code;
        reply.message = err.message;
        if (reply.code == "ExpiredToken" || reply.code == "InvalidToken") {
          credentials_->Invalidate();  // temporary keys rotated early: fetch new ones
          retry = true;
        } else {
          retry = Transient(reply);
        }
      } else if (call.method == "POST" && reply.body.find("<Error>") != std::string::npos) {
        // CompleteMultipartUpload may fail after its 200 header was sent.
        s3xml::ErrorBody err = s3xml::ParseError(reply.body);
        if (!err.code.empty()) {
          reply.status = 500;
          reply.code = err.code;
          reply.message = err.message;
          retry = Transient(reply);
        }
      }
    }
    if (!retry || attempt >= max_attempts) {
      if (resp.ok()) return reply;
      std::string text = last_error.message();
      // Words of the §4.15 table, so the error kind reads right.
      if (text.find("Couldn't connect") != std::string::npos) text += " (connection refused)";
      if (text.find("Timeout was reached") != std::string::npos) text += " (timed out)";
      return UnavailableError(Where() + ": " + text + " (after " + std::to_string(attempt) +
                              (attempt == 1 ? " attempt)" : " attempts)"));
    }
    CountStoreRequestRetry();
    std::this_thread::sleep_for(Backoff(options_, attempt));
  }
}

}  // namespace quarry::lode
