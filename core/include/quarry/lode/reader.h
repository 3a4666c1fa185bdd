// Read side of a Lode v1 dataset (storage-and-policies.md §4.5, §4.7, §6.1): canonical manifests,
// the snapshot chain from `latest`, and the records of data files. Never writes.
//
// Uses nlohmann::json in its interface; targets including this header link nlohmann_json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "quarry/lode/store.h"
#include "quarry/status.h"

namespace quarry::lode {

struct ManifestFileRef {
  std::string path;
  uint64_t size_bytes = 0;
};

struct Manifest {
  std::string dataset_id;
  std::string snapshot_id;
  std::string created_at;
  std::optional<std::string> parent_snapshot_id;
  nlohmann::json metadata;  // an object; `quarry_runs`, `sidecar_files` in our datasets
  std::vector<ManifestFileRef> files;
  uint64_t row_count = 0;
  std::string codec;
  std::string compressor;
  std::string partitioner;
  std::string raw;  // the stored bytes
};

// Store-relative paths of the dataset's canonical manifests, sorted by path.
StatusOr<std::vector<std::string>> ListCanonicalManifests(Store& store, std::string_view dataset);

// Parses manifest bytes; fails on a missing required key or a non-object metadata.
StatusOr<Manifest> ParseManifest(std::string_view bytes);
StatusOr<Manifest> LoadManifest(Store& store, std::string_view path);
StatusOr<Manifest> LoadSnapshot(Store& store, std::string_view dataset,
                                std::string_view snapshot_id);

// The head snapshot id: `latest` (trimmed) when its manifest exists, else the largest canonical
// snapshot id; nullopt for an empty dataset.
StatusOr<std::optional<std::string>> ResolveHead(Store& store, std::string_view dataset);

// The chain from the head back to the first snapshot, following parent links (newest first).
StatusOr<std::vector<Manifest>> WalkChain(Store& store, std::string_view dataset);

// The records of one data file, one JSON value per non-empty line.
StatusOr<std::vector<nlohmann::json>> ReadRecords(Store& store, std::string_view data_path);
// Every record of a snapshot, file by file in manifest order; refuses codecs other than jsonl
// and compressors other than noop.
StatusOr<std::vector<nlohmann::json>> ReadSnapshotRecords(Store& store, const Manifest& manifest);

}  // namespace quarry::lode
