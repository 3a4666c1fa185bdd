#include "read/dataset_location.h"

#include "config_file.h"

namespace quarry::cli {

void AddLocationFlags(CLI::App* cmd, LocationFlags* f) {
  cmd->add_option("--config", f->config,
                  "YAML config file; its storage: section locates the dataset");
  cmd->add_option("--storage-dataset", f->dataset, "Dataset id")->default_str("quarry");
  cmd->add_option("--storage-backend", f->location.backend, "Storage backend: fs or s3");
  cmd->add_option("--storage-path", f->location.path, "fs: the directory; s3: bucket[/prefix]");
  cmd->add_option("--storage-region", f->location.region, "S3 region");
  cmd->add_option("--storage-endpoint", f->location.endpoint, "S3-compatible endpoint URL");
  cmd->add_flag("--storage-s3-path-style", f->location.s3_path_style, "S3 path-style addressing");
}

StatusOr<LocationFlags> ResolveLocation(const CLI::App& cmd, const LocationFlags& flags) {
  LocationFlags f = flags;
  const auto set = [&](const char* name) { return cmd.count(name) > 0; };
  if (!f.config.empty()) {
    QUARRY_ASSIGN_OR_RETURN(ConfigFile c, LoadConfigFile(f.config));
    const auto merge = [&](const char* name, std::string* value, const std::string& from) {
      if (!set(name) && !from.empty()) *value = from;
    };
    merge("--storage-dataset", &f.dataset, c.storage.dataset);
    merge("--storage-backend", &f.location.backend, c.storage.backend);
    merge("--storage-path", &f.location.path, c.storage.path);
    merge("--storage-region", &f.location.region, c.storage.region);
    merge("--storage-endpoint", &f.location.endpoint, c.storage.endpoint);
    if (!set("--storage-s3-path-style") && c.storage.s3_path_style) {
      f.location.s3_path_style = true;
    }
  }
  const bool backend = !f.location.backend.empty(), path = !f.location.path.empty();
  if (!backend && !path && f.config.empty()) {
    return InvalidArgumentError(
        "no dataset location: pass --storage-backend and --storage-path, or --config");
  }
  if (!backend || !path) {
    return InvalidArgumentError(
        "both --storage-backend and --storage-path are required for Lode reads");
  }
  const std::string& ds = f.dataset;
  if (ds.empty() || ds == "." || ds == ".." || ds.find('/') != std::string::npos) {
    return InvalidArgumentError("invalid --storage-dataset \"" + ds +
                                "\": must be a single path segment");
  }
  return f;
}

}  // namespace quarry::cli
