#include "quarry/read/scan.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "lode/object_path.h"
#include "quarry/read/digest_cache.h"
#include "read/partition_path.h"

namespace quarry::read {
namespace {

std::optional<std::string> OptString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string StringOr(const nlohmann::json& j, const char* key, std::string fallback = "") {
  return OptString(j, key).value_or(std::move(fallback));
}

int64_t IntOr(const nlohmann::json& j, const char* key, int64_t fallback) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return fallback;
  return it->is_number_float() ? static_cast<int64_t>(it->get<double>()) : it->get<int64_t>();
}

std::optional<lode::FanoutLink> LinkOf(const nlohmann::json& j) {
  auto run = OptString(j, "enqueued_by_run_id");
  if (!run) return std::nullopt;
  lode::FanoutLink link;
  link.enqueued_by_run_id = *run;
  link.enqueued_by_event_id = StringOr(j, "enqueued_by_event_id");
  link.depth = IntOr(j, "fanout_depth", 0);
  return link;
}

RunRef FromDescriptor(const nlohmann::json& d) {
  RunRef r;
  r.run_id = StringOr(d, "run_id");
  r.attempt = IntOr(d, "attempt", 1);
  r.job_id = OptString(d, "job_id");
  r.parent_run_id = OptString(d, "parent_run_id");
  r.source = StringOr(d, "source");
  r.category = StringOr(d, "category", "default");
  r.day = StringOr(d, "day");
  r.policy = StringOr(d, "policy");
  r.executor = StringOr(d, "executor");
  r.started_at = StringOr(d, "started_at");
  r.fanout = LinkOf(d);
  return r;
}

// Folds one record of an original (descriptor-less) snapshot into its run's derived ref.
void FoldRecord(const nlohmann::json& rec, RunRef* r) {
  if (!rec.is_object()) return;
  const std::string kind = StringOr(rec, "record_kind");
  if (kind == "artifact_chunk") return;  // carries only run_id and partition values
  if (kind == "metrics") {
    if (r->executor.empty()) r->executor = StringOr(rec, "executor");
    if (!r->job_id) r->job_id = OptString(rec, "job_id");
    if (r->policy.empty()) r->policy = StringOr(rec, "policy");
    return;
  }
  if (auto ts = OptString(rec, "ts")) {
    const auto ns = ParseRfc3339Nanos(*ts), cur = ParseRfc3339Nanos(r->started_at);
    if (ns && (!cur || *ns < *cur)) r->started_at = *ts;
  }
  if (!r->job_id) r->job_id = OptString(rec, "job_id");
  if (!r->parent_run_id) r->parent_run_id = OptString(rec, "parent_run_id");
  if (rec.contains("attempt")) r->attempt = IntOr(rec, "attempt", r->attempt);
  if (r->policy.empty()) r->policy = StringOr(rec, "policy");
  const std::string type = StringOr(rec, "type");
  if (type == "run_complete" || type == "run_error") {
    r->terminal_type = type;
    if (auto p = rec.find("payload"); p != rec.end() && p->is_object()) {
      r->terminal_message = StringOr(*p, "message");
    }
  }
}

bool Cancelled(const ScanOptions& o) { return o.cancelled && o.cancelled->load(); }

}  // namespace

StatusOr<SnapshotDigest> DigestSnapshot(lode::Store& store, const lode::Manifest& m,
                                        ScanStats* stats) {
  SnapshotDigest d;
  d.snapshot_id = m.snapshot_id;
  d.created_at = m.created_at;
  d.created_at_ns = ParseRfc3339Nanos(m.created_at).value_or(0);
  d.parent_snapshot_id = m.parent_snapshot_id;
  d.row_count = m.row_count;
  d.codec = m.codec;
  d.compressor = m.compressor;
  d.files = m.files;
  bool has_descriptors = false;
  if (auto it = m.metadata.find("quarry_runs"); it != m.metadata.end() && it->is_array()) {
    for (const auto& desc : *it) {
      if (desc.is_object() && desc.contains("run_id")) d.runs.push_back(FromDescriptor(desc));
    }
    has_descriptors = !d.runs.empty();
  }
  if (auto it = m.metadata.find("sidecar_files"); it != m.metadata.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (!s.is_object()) continue;
      lode::SidecarRef ref;
      ref.path = StringOr(s, "path");
      ref.filename = StringOr(s, "filename");
      ref.content_type = StringOr(s, "content_type");
      ref.size = static_cast<uint64_t>(IntOr(s, "size", 0));
      d.sidecars.push_back(std::move(ref));
    }
  }
  const bool readable = m.codec == "jsonl" && m.compressor == "noop";
  auto need_readable = [&]() -> Status {
    if (readable) return Status::Ok();
    return InvalidArgumentError("snapshot " + m.snapshot_id + " uses codec " + m.codec +
                                " and compressor " + m.compressor +
                                "; only jsonl/noop can be read");
  };
  std::map<std::string, RunRef> derived;  // by run id, original snapshots only
  for (const lode::ManifestFileRef& f : m.files) {
    const PartitionValues pv = ParsePartitionPath(f.path);
    const bool metrics = pv.event_type == "metrics", enqueue = pv.event_type == "enqueue";
    if (has_descriptors && !metrics && !enqueue) continue;
    if (!pv.has_run_id && !metrics && !enqueue) continue;  // not a Quarry partition
    QUARRY_RETURN_IF_ERROR(need_readable());
    QUARRY_ASSIGN_OR_RETURN(std::vector<nlohmann::json> records, lode::ReadRecords(store, f.path));
    if (stats) ++stats->data_reads;
    RunRef* ref = nullptr;
    if (!has_descriptors && pv.has_run_id) {
      auto [it, inserted] = derived.try_emplace(pv.run_id);
      ref = &it->second;
      if (inserted) {
        ref->run_id = pv.run_id;
        ref->source = pv.source;
        ref->category = pv.category.empty() ? "default" : pv.category;
        ref->day = pv.day;
        ref->derived = true;
      }
    }
    for (auto& rec : records) {
      if (ref) FoldRecord(rec, ref);
      // A metrics record belongs to the run and source its path names (§6.7: both must match).
      if (metrics && StringOr(rec, "record_kind") == "metrics" &&
          StringOr(rec, "run_id") == pv.run_id && StringOr(rec, "source") == pv.source) {
        d.metrics.push_back(std::move(rec));
      } else if (enqueue && StringOr(rec, "type") == "enqueue") {
        d.enqueues.push_back(std::move(rec));
      }
    }
  }
  for (auto& [id, ref] : derived) d.runs.push_back(std::move(ref));
  return d;
}

StatusOr<Scan> ScanDataset(lode::Store& store, std::string_view dataset,
                           const ScanOptions& options) {
  Scan scan;
  scan.dataset = std::string(dataset);
  QUARRY_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                          lode::ListCanonicalManifests(store, dataset));
  scan.stats.list_calls = 1;
  scan.stats.manifests_listed = paths.size();
  scan.snapshots.resize(paths.size());

  std::mutex mu;  // guards stats merging, the first error and progress reports
  Status first_error = Status::Ok();
  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> failed{false};
  auto last_report = std::chrono::steady_clock::now();
  auto worker = [&] {
    ScanStats local;
    while (!failed.load()) {
      const size_t i = next.fetch_add(1);
      if (i >= paths.size()) break;
      if (Cancelled(options)) {
        std::lock_guard lock(mu);
        if (first_error.ok()) first_error = CancelledError("scan cancelled");
        failed = true;
        break;
      }
      const std::string_view sid = lode::SnapshotIdOfCanonicalManifest(dataset, paths[i]);
      std::optional<SnapshotDigest> cached;
      if (options.cache) cached = options.cache->Take(sid);
      Status st = Status::Ok();
      if (cached) {
        ++local.cache_hits;
        scan.snapshots[i] = std::move(*cached);
      } else {
        StatusOr<lode::Manifest> m = lode::LoadManifest(store, paths[i]);
        ++local.manifest_reads;
        StatusOr<SnapshotDigest> d =
            m.ok() ? DigestSnapshot(store, *m, &local) : StatusOr<SnapshotDigest>(m.status());
        if (d.ok()) {
          if (options.cache) options.cache->Add(*d);
          scan.snapshots[i] = std::move(*d);
        } else {
          st = d.status();
        }
      }
      const size_t n = done.fetch_add(1) + 1;
      std::lock_guard lock(mu);
      if (!st.ok()) {
        if (first_error.ok()) first_error = st;
        failed = true;
        break;
      }
      const auto now = std::chrono::steady_clock::now();
      if (options.progress && (now - last_report > std::chrono::milliseconds(50))) {
        last_report = now;
        options.progress(n, paths.size());
      }
    }
    std::lock_guard lock(mu);
    scan.stats.manifest_reads += local.manifest_reads;
    scan.stats.data_reads += local.data_reads;
    scan.stats.cache_hits += local.cache_hits;
  };
  const int threads =
      std::max(1, std::min<int>(options.parallelism, static_cast<int>(paths.size() / 64 + 1)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (!first_error.ok()) return first_error;
  if (options.progress) options.progress(paths.size(), paths.size());

  std::sort(scan.snapshots.begin(), scan.snapshots.end(),
            [](const SnapshotDigest& a, const SnapshotDigest& b) {
              if (a.created_at_ns != b.created_at_ns) return a.created_at_ns < b.created_at_ns;
              return a.snapshot_id < b.snapshot_id;
            });
  return scan;
}

std::optional<int64_t> ParseRfc3339Nanos(std::string_view t) {
  auto digits = [&](size_t pos, size_t n, int64_t* out) {
    if (pos + n > t.size()) return false;
    int64_t v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  int64_t y, mo, d, h, mi, s;
  if (!digits(0, 4, &y) || t.size() < 19 || t[4] != '-' || !digits(5, 2, &mo) || t[7] != '-' ||
      !digits(8, 2, &d) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !digits(11, 2, &h) ||
      t[13] != ':' || !digits(14, 2, &mi) || t[16] != ':' || !digits(17, 2, &s)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (n < 9) frac = frac * 10 + (t[pos] - '0'), ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) frac *= 10;
  }
  int64_t offset_s = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int64_t oh, om;
    if (!digits(pos + 1, 2, &oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !digits(pos + 4, 2, &om)) {
      return std::nullopt;
    }
    offset_s = (oh * 3600 + om * 60) * (t[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  // Days from the civil date (Howard Hinnant's algorithm).
  const int64_t yy = y - (mo <= 2);
  const int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  const int64_t yoe = yy - era * 400;
  const int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - offset_s;
  return secs * 1'000'000'000 + frac;
}

}  // namespace quarry::read
