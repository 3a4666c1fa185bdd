// Store-relative object paths of a Lode v1 dataset (storage-and-policies.md §4.3) and the rules
// every store applies to a path before touching it.
#pragma once

#include <string>
#include <string_view>

#include "quarry/status.h"

namespace quarry::lode {

// Non-empty, relative, '/'-separated, no empty, "." or ".." segments, no NUL byte.
Status ValidateObjectPath(std::string_view path);
// Like ValidateObjectPath, but "" (everything) and a trailing '/' are allowed.
Status ValidateListPrefix(std::string_view prefix);

// `partition` is the escaped "source=../category=../day=../run_id=../event_type=.." path.
std::string DataFilePath(std::string_view dataset, std::string_view partition,
                         std::string_view snapshot_id);
std::string PartitionManifestPath(std::string_view dataset, std::string_view partition,
                                  std::string_view snapshot_id);
std::string CanonicalManifestPath(std::string_view dataset, std::string_view snapshot_id);
std::string CanonicalSegmentsPrefix(std::string_view dataset);
std::string LatestPointerPath(std::string_view dataset);

// The snapshot id of "datasets/<ds>/segments/<id>/manifest.json" listed under
// CanonicalSegmentsPrefix, or "" when `path` is anything else.
std::string_view SnapshotIdOfCanonicalManifest(std::string_view dataset, std::string_view path);

}  // namespace quarry::lode
