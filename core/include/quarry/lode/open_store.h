// The store a storage location names (storage-and-policies.md §4.1, §5.1): the one place that
// turns backend/path/region/endpoint/path-style settings into a Store, for `quarry run`, the
// outbox and the read commands alike.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "quarry/lode/store.h"
#include "quarry/status.h"

namespace quarry::lode {

struct StorageLocation {
  std::string backend;  // "fs" or "s3"
  std::string path;     // fs: a directory; s3: bucket[/prefix]
  std::string region, endpoint;
  bool s3_path_style = false;
};

// fs: `path` must be an existing directory (made absolute). s3: the bucket is probed once with
// the credential chain (docs/storage-s3.md). Errors name the backend, path, bucket, endpoint or
// S3 error code.
StatusOr<std::shared_ptr<Store>> OpenStore(const StorageLocation& location);

// The backend is fs or s3, and an s3 path has a bucket and no scheme. Nothing remote is checked.
Status ValidateStorageLocation(const StorageLocation& location);

// §5.1: s3-only settings given with fs are ignored with these warnings.
std::vector<std::string> StorageLocationWarnings(const StorageLocation& location);

// "s3://bucket[/prefix]" or the absolute fs directory, for notifications and results.
std::string StorageRootUrl(const StorageLocation& location);

}  // namespace quarry::lode
