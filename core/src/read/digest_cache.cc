#include "quarry/read/digest_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace quarry::read {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kFormat = "quarry-digest-cache-v1";

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

json RunToJson(const RunRef& r) {
  json j{{"run_id", r.run_id},     {"attempt", r.attempt},
         {"source", r.source},     {"category", r.category},
         {"day", r.day},           {"policy", r.policy},
         {"executor", r.executor}, {"started_at", r.started_at}};
  if (r.job_id) j["job_id"] = *r.job_id;
  if (r.parent_run_id) j["parent_run_id"] = *r.parent_run_id;
  if (r.fanout) {
    j["fanout"] = {r.fanout->enqueued_by_run_id, r.fanout->enqueued_by_event_id, r.fanout->depth};
  }
  if (r.derived) {
    j["derived"] = true;
    j["terminal"] = {r.terminal_type, r.terminal_message};
  }
  return j;
}

RunRef RunFromJson(const json& j) {
  RunRef r;
  r.run_id = j.at("run_id").get<std::string>();
  r.attempt = j.at("attempt").get<int64_t>();
  r.source = j.at("source").get<std::string>();
  r.category = j.at("category").get<std::string>();
  r.day = j.at("day").get<std::string>();
  r.policy = j.at("policy").get<std::string>();
  r.executor = j.at("executor").get<std::string>();
  r.started_at = j.at("started_at").get<std::string>();
  if (j.contains("job_id")) r.job_id = j["job_id"].get<std::string>();
  if (j.contains("parent_run_id")) r.parent_run_id = j["parent_run_id"].get<std::string>();
  if (j.contains("fanout")) {
    const json& f = j["fanout"];
    r.fanout = lode::FanoutLink{f.at(0).get<std::string>(), f.at(1).get<std::string>(),
                                f.at(2).get<int64_t>()};
  }
  if (j.contains("derived")) {
    r.derived = true;
    r.terminal_type = j["terminal"].at(0).get<std::string>();
    r.terminal_message = j["terminal"].at(1).get<std::string>();
  }
  return r;
}

}  // namespace

std::optional<fs::path> DefaultCacheDir() {
  if (const char* dir = std::getenv("QUARRY_CACHE_DIR"); dir && *dir) {
    if (std::string_view(dir) == "off") return std::nullopt;
    return fs::path(dir);
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg && xdg[0] == '/') {
    return fs::path(xdg) / "quarry";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return fs::path(home) / ".cache" / "quarry";
  }
  return std::nullopt;
}

std::string DigestToJson(const SnapshotDigest& d) {
  json files = json::array();
  for (const auto& f : d.files) files.push_back({f.path, f.size_bytes});
  json runs = json::array();
  for (const auto& r : d.runs) runs.push_back(RunToJson(r));
  json sidecars = json::array();
  for (const auto& s : d.sidecars) sidecars.push_back({s.path, s.filename, s.content_type, s.size});
  json j{{"id", d.snapshot_id},   {"created_at", d.created_at},
         {"ns", d.created_at_ns}, {"rows", d.row_count},
         {"codec", d.codec},      {"compressor", d.compressor},
         {"files", files},        {"runs", runs},
         {"sidecars", sidecars},  {"metrics", d.metrics},
         {"enqueues", d.enqueues}};
  if (d.parent_snapshot_id) j["parent"] = *d.parent_snapshot_id;
  return j.dump();
}

StatusOr<SnapshotDigest> DigestFromJson(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return DataLossError("cache line is not a JSON object");
  try {
    SnapshotDigest d;
    d.snapshot_id = j.at("id").get<std::string>();
    d.created_at = j.at("created_at").get<std::string>();
    d.created_at_ns = j.at("ns").get<int64_t>();
    d.row_count = j.at("rows").get<uint64_t>();
    d.codec = j.at("codec").get<std::string>();
    d.compressor = j.at("compressor").get<std::string>();
    if (j.contains("parent")) d.parent_snapshot_id = j["parent"].get<std::string>();
    for (const auto& f : j.at("files")) {
      d.files.push_back({f.at(0).get<std::string>(), f.at(1).get<uint64_t>()});
    }
    for (const auto& r : j.at("runs")) d.runs.push_back(RunFromJson(r));
    for (const auto& s : j.at("sidecars")) {
      d.sidecars.push_back({s.at(0).get<std::string>(), s.at(1).get<std::string>(),
                            s.at(2).get<std::string>(), s.at(3).get<uint64_t>()});
    }
    for (auto& m : j.at("metrics")) d.metrics.push_back(std::move(m));
    for (auto& e : j.at("enqueues")) d.enqueues.push_back(std::move(e));
    return d;
  } catch (const json::exception& e) {
    return DataLossError(std::string("cache line: ") + e.what());
  }
}

StatusOr<std::unique_ptr<DigestCache>> DigestCache::Open(const fs::path& dir,
                                                         const lode::Store& store,
                                                         std::string_view dataset) {
  const std::string identity =
      std::string(store.Backend()) + '\0' + store.RootId() + '\0' + std::string(dataset);
  char key[17];
  std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(Fnv1a(identity)));
  std::unique_ptr<DigestCache> cache(new DigestCache());
  const fs::path sub = dir / "digests-v1";
  std::error_code ec;
  fs::create_directories(sub, ec);
  if (ec)
    return InternalError("cannot create cache directory " + sub.string() + ": " + ec.message());
  cache->file_ = sub / (std::string(key) + ".jsonl");
  json header{{"format", kFormat},
              {"backend", store.Backend()},
              {"root", store.RootId()},
              {"dataset", dataset}};
  const std::string header_line = header.dump();
  std::ifstream in(cache->file_, std::ios::binary);
  std::string first;
  // Another identity under a colliding key: do not use that file.
  if (in && std::getline(in, first) && first != header_line) {
    return FailedPreconditionError("cache file " + cache->file_.string() +
                                   " belongs to another dataset");
  }
  cache->fd_ = ::open(cache->file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (cache->fd_ < 0) {
    return InternalError("cannot open cache file " + cache->file_.string() + ": " +
                         std::strerror(errno));
  }
  // The header goes first: only a new, empty file gets one (two racing creators may both write
  // it; the second copy then fails to parse as a digest and is skipped).
  if (::lseek(cache->fd_, 0, SEEK_END) == 0) {
    const std::string h = header_line + "\n";
    if (::write(cache->fd_, h.data(), h.size()) != static_cast<ssize_t>(h.size())) {
      // Best effort, like every cache write.
    }
  }
  DigestCache* raw = cache.get();
  raw->loader_ =
      std::thread([raw, stream = std::move(in)]() mutable { raw->Load(std::move(stream)); });
  return cache;
}

void DigestCache::Load(std::ifstream in) {
  std::map<std::string, SnapshotDigest, std::less<>> loaded;
  std::string line;
  while (in && std::getline(in, line)) {
    StatusOr<SnapshotDigest> d = DigestFromJson(line);
    if (!d.ok()) continue;
    std::string id = d->snapshot_id;
    loaded.insert_or_assign(std::move(id), std::move(*d));
  }
  std::lock_guard lock(mu_);
  // Entries added while loading (none in practice: Find waits) win.
  loaded.merge(entries_);
  entries_ = std::move(loaded);
  loaded_ = true;
  loaded_cv_.notify_all();
}

void DigestCache::WaitLoaded() const {
  std::unique_lock lock(mu_);
  loaded_cv_.wait(lock, [this] { return loaded_; });
}

DigestCache::~DigestCache() {
  if (loader_.joinable()) loader_.join();
  if (fd_ >= 0) ::close(fd_);
}

std::optional<SnapshotDigest> DigestCache::Find(std::string_view snapshot_id) const {
  WaitLoaded();
  std::lock_guard lock(mu_);
  auto it = entries_.find(snapshot_id);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::optional<SnapshotDigest> DigestCache::Take(std::string_view snapshot_id) {
  WaitLoaded();
  std::lock_guard lock(mu_);
  auto it = entries_.find(snapshot_id);
  if (it == entries_.end()) return std::nullopt;
  std::optional<SnapshotDigest> out(std::move(it->second));
  // The id stays known, so a later Add of the same snapshot is not appended again.
  it->second = SnapshotDigest();
  it->second.snapshot_id = out->snapshot_id;
  return out;
}

void DigestCache::Add(const SnapshotDigest& digest) {
  const std::string line = DigestToJson(digest) + "\n";
  WaitLoaded();
  std::lock_guard lock(mu_);
  if (entries_.count(digest.snapshot_id)) return;
  entries_.emplace(digest.snapshot_id, digest);
  if (fd_ >= 0) {
    // One write() per line keeps O_APPEND lines whole between concurrent processes on a local
    // filesystem.
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      // Best effort.
    }
  }
}

size_t DigestCache::size() const {
  WaitLoaded();
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace quarry::read
