// The YAML config file of `quarry run --config` (cli/config_file.*, cli-and-integrations.md §7):
// environment expansion, yaml-cpp, then the strict key-by-key reader.
//
// The input is the file's text (seeds: fuzz/corpus/make_seeds.py, after the configs of
// tests/unit/cli and docs). Checked: no crash, and no exception escapes LoadConfigFile (a YAML
// error, a wrong type or an unknown key comes back as a Status); a config that loads once loads
// again to the same values.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "config_file.h"
#include "fuzz_check.h"

namespace {

// One file reused for every input: LoadConfigFile reads a path.
const std::string& ConfigPath() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/quarry-fuzz-config-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    FUZZ_CHECK(fd >= 0);
    ::close(fd);
    // Variables the seeds expand, set and unset, so both branches of ${X:-default} run.
    ::setenv("QUARRY_FUZZ_SET", "value", 1);
    ::setenv("QUARRY_FUZZ_EMPTY", "", 1);
    return std::string(tmpl);
  }();
  return path;
}

void Write(const std::string& path, const uint8_t* data, size_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(::write(fd, data, size) == static_cast<ssize_t>(size));
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = ConfigPath();
  Write(path, data, size);
  auto first = quarry::cli::LoadConfigFile(path);
  if (!first.ok()) {
    FUZZ_CHECK(!first.status().message().empty());
    return 0;
  }
  auto again = quarry::cli::LoadConfigFile(path);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK_EQ(again->source, first->source);
  FUZZ_CHECK(again->proxies.size() == first->proxies.size());
  FUZZ_CHECK(again->sinks.size() == first->sinks.size());
  return 0;
}
