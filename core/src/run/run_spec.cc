#include "quarry/run/run_spec.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "quarry/duration.h"
#include "quarry/lode/open_store.h"
#include "quarry/lode/store.h"
#include "quarry/policy/policy.h"
#include "quarry/redact.h"
#include "quarry/sinks/event_sinks.h"

namespace quarry::run {
namespace fs = std::filesystem;

namespace {

// Longest file name Linux file systems (and S3 key segments by convention) take.
constexpr size_t kMaxPathComponent = 255;

// A value that becomes the partition directory "<key>=<escaped value>" (storage §4.4) must be
// non-empty and fit one file name once escaped: found here, before anything runs, instead of by
// the first write after the script has run.
Status CheckPathValue(const char* flag, const char* key, const std::string& value) {
  if (value.empty()) return InvalidArgumentError(std::string(flag) + " must not be empty");
  const size_t length = std::strlen(key) + 1 + lode::EscapePartitionValue(value).size();
  if (length > kMaxPathComponent) {
    return InvalidArgumentError(std::string(flag) + " is too long: \"" + PrintableValue(value, 40) +
                                "\" makes a " + std::to_string(length) +
                                "-byte path component (at most " +
                                std::to_string(kMaxPathComponent) + ")");
  }
  return Status::Ok();
}

// Creates and removes a file where the run's first write goes (the deepest existing directory
// of <root>/datasets/<dataset>), so a read-only or foreign-owned location is found before the
// executor starts. Root passes permission checks, not read-only mounts or immutable directories.
Status ProbeWritable(const std::string& root, const std::string& dataset) {
  fs::path dir = root;
  for (const char* sub : {"datasets", dataset.c_str()}) {
    std::error_code ec;
    if (!fs::is_directory(dir / sub, ec)) break;
    dir /= sub;
  }
  std::random_device rd;
  const fs::path probe =
      dir / (".quarry-write-probe-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  int fd = ::open(probe.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    const std::string why = std::strerror(errno);
    return InvalidArgumentError("storage path " + root + " is not writable (" + why +
                                (dir == fs::path(root) ? "" : " in " + dir.string()) + ")");
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return Status::Ok();
}

}  // namespace

Status CheckScriptReadable(const std::string& path) {
  std::string shown = PrintableValue(path, 400);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return NotFoundError("script not found: " + shown);
    return InvalidArgumentError("cannot read script " + shown + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return InvalidArgumentError("script is not a file: " + shown);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return InvalidArgumentError("cannot read script " + shown + ": " + std::strerror(errno));
  ::close(fd);
  return Status::Ok();
}

StatusOr<std::string> ResolveFromDirectory(const std::string& dir) {
  if (dir.empty()) return std::string();
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  auto st = fs::status(p, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return InvalidArgumentError("--resolve-from " + dir + ": cannot access: " + ec.message());
  }
  if (!fs::exists(st)) {
    return InvalidArgumentError("--resolve-from " + dir + ": directory does not exist");
  }
  if (!fs::is_directory(st))
    return InvalidArgumentError("--resolve-from " + dir + ": not a directory");
  return p.lexically_normal().string();
}

StatusOr<RunConfig> BuildRunConfig(const RunSpec& spec,
                                   const std::function<void(const std::string&)>& warn) {
  if (spec.script.empty()) return InvalidArgumentError("--script is required");
  if (spec.run_id.empty()) return InvalidArgumentError("--run-id is required");
  QUARRY_RETURN_IF_ERROR(CheckScriptReadable(spec.script));
  if (spec.source.empty()) {
    return InvalidArgumentError("--source is required (provide via CLI flag or config file)");
  }
  QUARRY_RETURN_IF_ERROR(CheckPathValue("--source", "source", spec.source));
  QUARRY_RETURN_IF_ERROR(CheckPathValue("--category", "category", spec.category));
  QUARRY_RETURN_IF_ERROR(CheckPathValue("--run-id", "run_id", spec.run_id));
  QUARRY_ASSIGN_OR_RETURN(Duration timeout, ParseDuration(spec.timeout));
  if (timeout.count() < 0) return InvalidArgumentError("--timeout must not be negative");
  QUARRY_ASSIGN_OR_RETURN(std::string resolve_from, ResolveFromDirectory(spec.resolve_from));

  policy::PolicyConfig pc;
  pc.name = spec.policy;
  pc.flush_mode = spec.flush_mode;
  pc.buffer_events = spec.buffer_events;
  pc.buffer_bytes = spec.buffer_bytes;
  pc.flush_count = spec.flush_count;
  QUARRY_ASSIGN_OR_RETURN(pc.flush_interval, ParseDuration(spec.flush_interval));
  std::vector<std::string> warnings;
  QUARRY_RETURN_IF_ERROR(policy::ValidatePolicyConfig(pc, &warnings));
  if (warn) {
    for (const auto& w : warnings) warn(w);
  }

  QUARRY_ASSIGN_OR_RETURN(std::string job, LoadJobPayload(spec.job, spec.job_file));

  if (spec.storage_backend.empty())
    return InvalidArgumentError("--storage-backend is required (fs or s3)");
  if (spec.storage_path.empty()) return InvalidArgumentError("--storage-path is required");
  const lode::StorageLocation storage{spec.storage_backend, spec.storage_path, spec.storage_region,
                                      spec.storage_endpoint, spec.storage_s3_path_style};
  const bool s3 = spec.storage_backend == "s3";
  if (s3) QUARRY_RETURN_IF_ERROR(lode::ValidateStorageLocation(storage));
  if (warn) {
    for (const auto& w : lode::StorageLocationWarnings(storage)) warn(w);
  }
  if (!s3 && spec.storage_backend != "fs") {
    return InvalidArgumentError("unknown storage backend \"" + spec.storage_backend +
                                "\": must be fs or s3");
  }
  if (spec.storage_sync != "always" && spec.storage_sync != "never") {
    return InvalidArgumentError("invalid --storage-sync \"" +
                                PrintableValue(spec.storage_sync, 40) +
                                "\": must be always or never");
  }
  const std::string& ds = spec.storage_dataset;
  if (ds.empty() || ds == "." || ds == ".." || ds.find('/') != std::string::npos) {
    return InvalidArgumentError("invalid --storage-dataset \"" + ds +
                                "\": must be a single path segment");
  }
  if (!s3) {
    std::error_code ec;
    auto st = fs::status(spec.storage_path, ec);
    if (!fs::exists(st)) {
      return InvalidArgumentError("storage path " + spec.storage_path +
                                  " does not exist (create it with: mkdir -p " + spec.storage_path +
                                  ")");
    }
    if (!fs::is_directory(st)) {
      return InvalidArgumentError("storage path " + spec.storage_path + " is not a directory");
    }
  }
  if (ds.size() > kMaxPathComponent) {
    return InvalidArgumentError("--storage-dataset is too long: \"" + PrintableValue(ds, 40) +
                                "\" (at most " + std::to_string(kMaxPathComponent) + " bytes)");
  }
  if (!s3) QUARRY_RETURN_IF_ERROR(ProbeWritable(spec.storage_path, ds));

  QUARRY_ASSIGN_OR_RETURN(auto adapter, BuildAdapterConfig(spec.adapter, warn));
  QUARRY_ASSIGN_OR_RETURN(auto event_sinks,
                          BuildSinkConfigs(spec.event_sinks, spec.sink_overrides));
  QUARRY_RETURN_IF_ERROR(fanout::ValidateSettings(spec.fanout, warn));

  RunMeta meta;
  meta.run_id = spec.run_id;
  meta.attempt = spec.attempt;
  if (!spec.job_id.empty()) meta.job_id = spec.job_id;
  if (!spec.parent_run_id.empty()) meta.parent_run_id = spec.parent_run_id;
  QUARRY_RETURN_IF_ERROR(ValidateRunMeta(meta));

  QUARRY_ASSIGN_OR_RETURN(std::string executor, LocateExecutor(spec.executor));
  // s3: the bucket is probed once here, so bad credentials or a missing bucket stop the run
  // before the executor starts.
  const uint64_t retries_before_open = lode::StoreRequestRetriesOnThisThread();
  auto store = s3 ? lode::OpenStore(storage)
                  : lode::OpenFsStore(fs::absolute(spec.storage_path).lexically_normal().string(),
                                      spec.storage_sync == "never" ? lode::SyncMode::kNever
                                                                   : lode::SyncMode::kAlways);
  if (!store.ok()) {
    return Status(store.status().code(), "failed to create policy: " + store.status().message());
  }
  for (const auto& sink : event_sinks) {
    if (sink.type != "redis") continue;
    if (auto url = sinks::ParseRedisUrl(sink.redis.url); !url.ok()) {
      return Status(url.status().code(), "failed to create policy: " + url.status().message());
    }
  }

  RunConfig config;
  config.executor_path = executor;
  config.script_path = spec.script;
  config.job_json = job;
  config.meta = meta;
  config.source = spec.source;
  config.category = spec.category;
  config.store = *store;
  config.store_open_retries = lode::StoreRequestRetriesOnThisThread() - retries_before_open;
  config.dataset = ds;
  config.policy = pc;
  config.event_sinks = std::move(event_sinks);
  config.adapter = std::move(adapter);
  config.browser_ws_endpoint = spec.browser_ws_endpoint;
  if (timeout.count() > 0) config.timeout = timeout;
  config.resolve_from = resolve_from;
  return config;
}

}  // namespace quarry::run
