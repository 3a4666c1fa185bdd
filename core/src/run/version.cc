#include "quarry/version.h"

namespace quarry {

std::string_view ProductVersion() { return QUARRY_VERSION; }
std::string_view GitCommit() { return QUARRY_GIT_COMMIT; }

}  // namespace quarry
