// Property checks inside fuzz targets: a failed check prints what failed and aborts, which
// libFuzzer reports as a crash and saves the input (crash-<sha1>).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

// For values printable as std::string: shows both sides.
#define FUZZ_CHECK_EQ(a, b)                                                                       \
  do {                                                                                            \
    const std::string fuzz_a_ = (a), fuzz_b_ = (b);                                               \
    if (fuzz_a_ != fuzz_b_) {                                                                     \
      std::fprintf(stderr, "%s:%d: check failed: %s == %s\n  left:  %s\n  right: %s\n", __FILE__, \
                   __LINE__, #a, #b, fuzz_a_.c_str(), fuzz_b_.c_str());                           \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)
