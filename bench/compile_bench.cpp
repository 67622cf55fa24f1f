// Benchmarks of the compiler: the generated policy's text and policies/, source to Policy.
#include <benchmark/benchmark.h>

#include <string>

#include "fixture.hpp"
#include "scopegate/dsl.hpp"

namespace bench {
namespace {

void BM_compile_large(benchmark::State& state) {
  const std::string& text = large_text();
  for (auto _ : state) {
    auto compiled = scopegate::compile_source("generated.policy", text);
    if (!compiled) {
      state.SkipWithError("the generated policy does not compile");
      return;
    }
    benchmark::DoNotOptimize(compiled);
  }
  state.counters["source_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_compile_large)->Unit(benchmark::kMillisecond);

void BM_compile_shipped(benchmark::State& state) {
  for (auto _ : state) {
    auto compiled = scopegate::compile_files({std::string(SCOPEGATE_SOURCE_DIR) + "/policies"});
    if (!compiled) {
      state.SkipWithError("the shipped policy does not compile");
      return;
    }
    benchmark::DoNotOptimize(compiled);
  }
}
BENCHMARK(BM_compile_shipped)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bench
