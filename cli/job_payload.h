// --job / --job-json: the job payload must be a top-level JSON object (cli-and-integrations.md
// §4.3 step 7). Errors name the JSON type received.
#pragma once

#include <string>

#include "quarry/status.h"

namespace quarry::cli {

// Returns the compact JSON text of the object ("{}" when neither flag is given).
StatusOr<std::string> LoadJobPayload(const std::string& job_flag, bool job_set,
                                     const std::string& job_file, bool job_file_set);

}  // namespace quarry::cli
