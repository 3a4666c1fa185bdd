// The S3 object store (storage-and-policies.md §5): AWS S3 or any S3-compatible server (R2,
// MinIO, versitygw), requests signed with SigV4 by libcurl, conditional writes for exclusive
// creates and the pointer compare-and-swap, transient failures retried inside the store (§5.5).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "quarry/lode/store.h"
#include "quarry/status.h"

namespace quarry::lode {

class AwsCredentialChain;

struct S3Options {
  std::string bucket;
  std::string prefix;    // key prefix; a trailing '/' is added when missing
  std::string region;    // empty: AWS_REGION, AWS_DEFAULT_REGION, the shared config, us-east-1
  std::string endpoint;  // base URL; empty: https://s3.<region>.amazonaws.com
  bool path_style = false;
  // Empty: the default chain (environment, shared files, container, instance metadata).
  std::shared_ptr<AwsCredentialChain> credentials;

  // Internal knobs; production values are §5's. Tests shrink them.
  uint64_t multipart_threshold = 5'368'709'120;  // larger objects go multipart
  uint64_t part_size = 5 * 1024 * 1024;
  int list_page_size = 0;  // ListObjectsV2 max-keys; 0: the server's default (1000 on AWS)
  int max_attempts = 3;    // per request, transient failures only
  std::chrono::milliseconds backoff_base{100};
  std::chrono::milliseconds backoff_cap{5000};
  std::chrono::milliseconds request_timeout{60000};
  std::chrono::milliseconds connect_timeout{5000};
  bool probe = true;  // list the bucket once when opening (bad bucket/credentials fail here)
};

// "bucket[/prefix]" split at the first '/'. "s3://..." and an empty bucket are refused.
StatusOr<std::pair<std::string, std::string>> SplitS3StoragePath(std::string_view path);

// Opens the store and, with `probe`, checks once that the bucket answers to these credentials;
// the error names the bucket, the endpoint and the S3 error code.
StatusOr<std::shared_ptr<Store>> OpenS3Store(S3Options options);

}  // namespace quarry::lode
