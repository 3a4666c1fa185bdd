#include <benchmark/benchmark.h>

#include "quarry/log.h"

// Drop and flush logging would measure stderr, not the code under test.
int main(int argc, char** argv) {
  quarry::log::SetLevel(quarry::log::Level::kError);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
