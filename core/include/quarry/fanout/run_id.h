// Run ids of fan-out children and of retried or resumed attempts (cli-and-integrations.md §9:
// "run_id = new UUID v4").
#pragma once

#include <string>

namespace quarry::fanout {

// A random (version 4, RFC 4122 variant) UUID, lowercase 8-4-4-4-12, from the OS's CSPRNG.
std::string NewRunId();

}  // namespace quarry::fanout
