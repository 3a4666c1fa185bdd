// AWS credentials for the S3 store (storage-and-policies.md §5.1): the environment, the shared
// credentials/config files (AWS_PROFILE), the container credentials endpoint, then IMDSv2
// instance metadata — first that yields a key pair wins. Temporary credentials are refreshed
// before they expire. No secret ever appears in a returned message.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "quarry/status.h"

namespace quarry::lode {

struct AwsCredentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // "environment", "shared files", "container", "instance metadata"
};

// Where the chain looks; every field has the process's value by default, tests replace them.
struct AwsEnvironment {
  std::function<std::optional<std::string>(const std::string&)> getenv;  // default ::getenv
  std::function<std::chrono::system_clock::time_point()> now;            // default system clock
  // Temporary credentials are fetched again this long before their expiration.
  std::chrono::seconds refresh_margin{300};
  std::chrono::milliseconds http_timeout{2000};
};

// Reads ~/.aws/credentials and ~/.aws/config (or AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE)
// for the profile AWS_PROFILE (default "default"): the key pair, then the region.
std::optional<AwsCredentials> SharedFileCredentials(const AwsEnvironment& env);
std::string SharedConfigRegion(const AwsEnvironment& env);

// The region when --storage-region is empty: AWS_REGION, AWS_DEFAULT_REGION, the shared config
// file, else "us-east-1".
std::string ResolveAwsRegion(const std::string& flag, const AwsEnvironment& env);

// The URL the container provider asks, or "" when neither variable is set:
// AWS_CONTAINER_CREDENTIALS_FULL_URI, else http://169.254.170.2 + ..._RELATIVE_URI.
std::string ContainerCredentialsUrl(const AwsEnvironment& env);

class AwsCredentialChain {
 public:
  explicit AwsCredentialChain(AwsEnvironment env = {});

  // The current credentials; fetched on first use and again once they are within the refresh
  // margin of their expiration. Errors say which sources were tried, never a secret.
  StatusOr<AwsCredentials> Get();
  // Forget cached temporary credentials (the server said they expired).
  void Invalidate();

 private:
  StatusOr<AwsCredentials> Resolve();
  StatusOr<std::optional<AwsCredentials>> FromContainer();
  StatusOr<std::optional<AwsCredentials>> FromInstanceMetadata();

  AwsEnvironment env_;
  std::mutex mu_;
  std::optional<AwsCredentials> cached_;
};

// Parses the JSON both endpoints answer (AccessKeyId, SecretAccessKey, Token, Expiration).
StatusOr<AwsCredentials> ParseTemporaryCredentials(std::string_view json, std::string source);

}  // namespace quarry::lode
