// The dataset location flags of the read-only commands (cli-and-integrations.md §5.2, D11.13):
// --config (its storage: section), --storage-dataset/-backend/-path/-region/-endpoint and
// --storage-s3-path-style, with the same precedence as `quarry run` (an explicitly set flag, else
// a non-empty config value, else the default).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "quarry/lode/open_store.h"
#include "quarry/lode/store.h"
#include "quarry/status.h"

namespace quarry::cli {

struct LocationFlags {
  std::string config;
  std::string dataset = "quarry";
  lode::StorageLocation location;
};

void AddLocationFlags(CLI::App* cmd, LocationFlags* flags);

// Applies --config, then checks the location: `both --storage-backend and --storage-path are
// required for Lode reads` / `no dataset location: pass --storage-backend and --storage-path, or
// --config`, the dataset id (a single path segment).
StatusOr<LocationFlags> ResolveLocation(const CLI::App& cmd, const LocationFlags& flags);

}  // namespace quarry::cli
