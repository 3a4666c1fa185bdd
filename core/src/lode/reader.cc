#include "quarry/lode/reader.h"

#include <set>

#include "lode/object_path.h"
#include "lode/store_error.h"

namespace quarry::lode {
namespace {

std::string_view Trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

Status Malformed(std::string_view what) {
  return DataLossError("malformed manifest: " + std::string(what));
}

}  // namespace

StatusOr<std::vector<std::string>> ListCanonicalManifests(Store& store, std::string_view dataset) {
  const std::string prefix = CanonicalSegmentsPrefix(dataset);
  StatusOr<std::vector<std::string>> keys = store.List(prefix);
  if (!keys.ok()) return WrapStorageError("read", prefix, keys.status());
  std::vector<std::string> out;
  for (std::string& k : *keys) {
    if (!SnapshotIdOfCanonicalManifest(dataset, k).empty()) out.push_back(std::move(k));
  }
  return out;
}

StatusOr<Manifest> ParseManifest(std::string_view bytes) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Malformed("not a JSON object");
  Manifest m;
  auto str = [&](const char* key, std::string* dst) -> Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return Malformed(std::string("missing ") + key);
    *dst = it->get<std::string>();
    return Status::Ok();
  };
  QUARRY_RETURN_IF_ERROR(str("dataset_id", &m.dataset_id));
  QUARRY_RETURN_IF_ERROR(str("snapshot_id", &m.snapshot_id));
  QUARRY_RETURN_IF_ERROR(str("created_at", &m.created_at));
  QUARRY_RETURN_IF_ERROR(str("codec", &m.codec));
  QUARRY_RETURN_IF_ERROR(str("compressor", &m.compressor));
  if (auto it = j.find("partitioner"); it != j.end() && it->is_string()) {
    m.partitioner = it->get<std::string>();
  }
  if (auto it = j.find("parent_snapshot_id"); it != j.end() && it->is_string()) {
    m.parent_snapshot_id = it->get<std::string>();
  }
  auto meta = j.find("metadata");
  if (meta == j.end() || !meta->is_object()) return Malformed("metadata is not an object");
  m.metadata = *meta;
  auto rows = j.find("row_count");
  if (rows == j.end() || !rows->is_number_integer()) return Malformed("missing row_count");
  m.row_count = rows->get<uint64_t>();
  auto files = j.find("files");
  if (files == j.end() || !(files->is_array() || files->is_null())) {
    return Malformed("missing files");
  }
  if (files->is_array()) {
    for (const auto& f : *files) {
      auto p = f.find("path");
      auto s = f.find("size_bytes");
      if (p == f.end() || !p->is_string() || s == f.end() || !s->is_number_integer()) {
        return Malformed("bad file reference");
      }
      m.files.push_back({p->get<std::string>(), s->get<uint64_t>()});
    }
  }
  m.raw = std::string(bytes);
  return m;
}

StatusOr<Manifest> LoadManifest(Store& store, std::string_view path) {
  StatusOr<std::string> bytes = store.Get(path);
  if (!bytes.ok()) return WrapStorageError("read", path, bytes.status());
  StatusOr<Manifest> m = ParseManifest(*bytes);
  if (!m.ok()) return WrapStorageError("read", path, m.status());
  return m;
}

StatusOr<Manifest> LoadSnapshot(Store& store, std::string_view dataset,
                                std::string_view snapshot_id) {
  return LoadManifest(store, CanonicalManifestPath(dataset, snapshot_id));
}

StatusOr<std::optional<std::string>> ResolveHead(Store& store, std::string_view dataset) {
  const std::string pointer = LatestPointerPath(dataset);
  StatusOr<std::string> raw = store.Get(pointer);
  if (!raw.ok() && raw.status().code() != StatusCode::kNotFound) {
    return WrapStorageError("read", pointer, raw.status());
  }
  if (raw.ok()) {
    const std::string id(Trim(*raw));
    if (!id.empty()) {
      const std::string path = CanonicalManifestPath(dataset, id);
      StatusOr<bool> exists = store.Exists(path);
      if (!exists.ok()) return WrapStorageError("read", path, exists.status());
      if (*exists) return std::optional<std::string>(id);
    }
  }
  // Missing or stale pointer: read-only, so fall back to the scan without repairing it (§6.1).
  QUARRY_ASSIGN_OR_RETURN(std::vector<std::string> manifests,
                          ListCanonicalManifests(store, dataset));
  if (manifests.empty()) return std::optional<std::string>();
  return std::optional<std::string>(
      std::string(SnapshotIdOfCanonicalManifest(dataset, manifests.back())));
}

StatusOr<std::vector<Manifest>> WalkChain(Store& store, std::string_view dataset) {
  QUARRY_ASSIGN_OR_RETURN(std::optional<std::string> head, ResolveHead(store, dataset));
  std::vector<Manifest> chain;
  std::set<std::string> seen;
  std::optional<std::string> next = head;
  while (next) {
    if (!seen.insert(*next).second) {
      return DataLossError("snapshot chain of " + std::string(dataset) + " loops at " + *next);
    }
    QUARRY_ASSIGN_OR_RETURN(Manifest m, LoadSnapshot(store, dataset, *next));
    next = m.parent_snapshot_id;
    chain.push_back(std::move(m));
  }
  return chain;
}

StatusOr<std::vector<nlohmann::json>> ReadRecords(Store& store, std::string_view data_path) {
  StatusOr<std::string> bytes = store.Get(data_path);
  if (!bytes.ok()) return WrapStorageError("read", data_path, bytes.status());
  std::vector<nlohmann::json> records;
  std::string_view rest(*bytes);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (Trim(line).empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return WrapStorageError("read", data_path, DataLossError("malformed JSONL line"));
    }
    records.push_back(std::move(j));
  }
  return records;
}

StatusOr<std::vector<nlohmann::json>> ReadSnapshotRecords(Store& store, const Manifest& manifest) {
  if (manifest.codec != "jsonl" || manifest.compressor != "noop") {
    return InvalidArgumentError("snapshot " + manifest.snapshot_id + " uses codec " +
                                manifest.codec + " and compressor " + manifest.compressor +
                                "; only jsonl/noop can be read");
  }
  std::vector<nlohmann::json> out;
  for (const ManifestFileRef& f : manifest.files) {
    QUARRY_ASSIGN_OR_RETURN(std::vector<nlohmann::json> records, ReadRecords(store, f.path));
    for (auto& r : records) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace quarry::lode
