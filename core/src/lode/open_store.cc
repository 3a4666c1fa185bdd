#include "quarry/lode/open_store.h"

#include <filesystem>

#include "quarry/lode/s3_store.h"
#include "quarry/redact.h"

namespace quarry::lode {

StatusOr<std::shared_ptr<Store>> OpenStore(const StorageLocation& location) {
  if (location.backend == "fs") {
    std::error_code ec;
    const auto st = std::filesystem::status(location.path, ec);
    if (!std::filesystem::exists(st)) {
      return NotFoundError("storage path " + location.path + " does not exist");
    }
    if (!std::filesystem::is_directory(st)) {
      return InvalidArgumentError("storage path " + location.path + " is not a directory");
    }
    return OpenFsStore(std::filesystem::absolute(location.path).lexically_normal().string());
  }
  QUARRY_RETURN_IF_ERROR(ValidateStorageLocation(location));
  QUARRY_ASSIGN_OR_RETURN(auto split, SplitS3StoragePath(location.path));
  S3Options o;
  o.bucket = std::move(split.first);
  o.prefix = std::move(split.second);
  o.region = location.region;
  o.endpoint = location.endpoint;
  o.path_style = location.s3_path_style;
  return OpenS3Store(std::move(o));
}

Status ValidateStorageLocation(const StorageLocation& location) {
  if (location.backend == "s3") return SplitS3StoragePath(location.path).status();
  if (location.backend == "fs") return Status::Ok();
  return InvalidArgumentError("unknown storage backend \"" + PrintableValue(location.backend, 40) +
                              "\": must be fs or s3");
}

std::vector<std::string> StorageLocationWarnings(const StorageLocation& location) {
  std::vector<std::string> out;
  if (location.backend != "fs") return out;
  if (!location.endpoint.empty()) {
    out.push_back("--storage-endpoint is ignored with --storage-backend fs");
  }
  if (location.s3_path_style) {
    out.push_back("--storage-s3-path-style is ignored with --storage-backend fs");
  }
  if (!location.region.empty()) {
    out.push_back("--storage-region is ignored with --storage-backend fs");
  }
  return out;
}

std::string StorageRootUrl(const StorageLocation& location) {
  if (location.backend != "s3") {
    return std::filesystem::absolute(location.path).lexically_normal().string();
  }
  std::string p = location.path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  return "s3://" + p;
}

}  // namespace quarry::lode
