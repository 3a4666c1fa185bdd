#pragma once

#include <string_view>

namespace quarry {

// Product version (not the wire contract version, which is ipc::kContractVersion).
std::string_view ProductVersion();
// Short git commit the binary was built from, or "unknown".
std::string_view GitCommit();

}  // namespace quarry
