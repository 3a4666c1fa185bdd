#include "lode/object_path.h"

namespace quarry::lode {
namespace {

Status CheckSegments(std::string_view path, std::string_view what) {
  if (path.find('\0') != std::string_view::npos) {
    return InvalidArgumentError(std::string(what) + " contains a NUL byte");
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return InvalidArgumentError(std::string(what) + " \"" + std::string(path) +
                                  "\" is not a clean relative path");
    }
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace

Status ValidateObjectPath(std::string_view path) {
  if (path.empty()) return InvalidArgumentError("object path is empty");
  if (path.front() == '/') {
    return InvalidArgumentError("object path \"" + std::string(path) + "\" is absolute");
  }
  return CheckSegments(path, "object path");
}

Status ValidateListPrefix(std::string_view prefix) {
  if (prefix.empty()) return Status::Ok();
  if (prefix.front() == '/') {
    return InvalidArgumentError("list prefix \"" + std::string(prefix) + "\" is absolute");
  }
  if (prefix.back() == '/') prefix.remove_suffix(1);
  return CheckSegments(prefix, "list prefix");
}

std::string DataFilePath(std::string_view dataset, std::string_view partition,
                         std::string_view snapshot_id) {
  std::string p;
  p.reserve(dataset.size() + partition.size() + snapshot_id.size() + 48);
  p.append("datasets/").append(dataset).append("/partitions/").append(partition);
  p.append("/segments/").append(snapshot_id).append("/data/data");
  return p;
}

std::string PartitionManifestPath(std::string_view dataset, std::string_view partition,
                                  std::string_view snapshot_id) {
  std::string p;
  p.reserve(dataset.size() + partition.size() + snapshot_id.size() + 52);
  p.append("datasets/").append(dataset).append("/partitions/").append(partition);
  p.append("/segments/").append(snapshot_id).append("/manifest.json");
  return p;
}

std::string CanonicalManifestPath(std::string_view dataset, std::string_view snapshot_id) {
  std::string p = CanonicalSegmentsPrefix(dataset);
  p.append(snapshot_id).append("/manifest.json");
  return p;
}

std::string CanonicalSegmentsPrefix(std::string_view dataset) {
  std::string p("datasets/");
  p.append(dataset).append("/segments/");
  return p;
}

std::string LatestPointerPath(std::string_view dataset) {
  std::string p("datasets/");
  p.append(dataset).append("/latest");
  return p;
}

std::string_view SnapshotIdOfCanonicalManifest(std::string_view dataset, std::string_view path) {
  constexpr std::string_view kSuffix = "/manifest.json";
  const std::string prefix = CanonicalSegmentsPrefix(dataset);
  if (path.size() <= prefix.size() + kSuffix.size()) return {};
  if (path.substr(0, prefix.size()) != prefix) return {};
  if (path.substr(path.size() - kSuffix.size()) != kSuffix) return {};
  std::string_view id = path.substr(prefix.size(), path.size() - prefix.size() - kSuffix.size());
  if (id.find('/') != std::string_view::npos) return {};
  return id;
}

}  // namespace quarry::lode
