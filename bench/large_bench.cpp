// Benchmarks on the generated policy (1,000 scopes, 10,000 route templates): decide over
// mixes of 512 and 4096 requests, the wide baseline on them, and cold request data.
#include <benchmark/benchmark.h>

#include <cstddef>

#include "baseline.hpp"
#include "fixture.hpp"

namespace bench {
namespace {

// The argument is the size of the request mix: 512 is about the shipped mix's size
// (456), 4096 spreads the requests over more of the trie and of memory.
void BM_decide_large(benchmark::State& state) {
  run_decide(state, large(static_cast<std::size_t>(state.range(0))));
}
BENCHMARK(BM_decide_large)->Arg(512)->Arg(4096);

// The wide baseline on the same mixes: what the large mixes cost a hand-written map that
// is handed the template, so that the growth from /512 to /4096 (the policy's memory no
// longer in cache) can be told apart from the engine's own.
void BM_baseline_large(benchmark::State& state) {
  const Fixture fixture = large(static_cast<std::size_t>(state.range(0)));
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  run_baseline(state, fixture, make_wide_baseline(*fixture.policy, fixture.mix));
}
BENCHMARK(BM_baseline_large)->Arg(512)->Arg(4096);

// The 4096-request mix with cold request data (see large_cold()).
void BM_decide_large_cold(benchmark::State& state) {
  run_decide(state, large_cold(static_cast<std::size_t>(state.range(0))));
}
BENCHMARK(BM_decide_large_cold)->Arg(4096);

}  // namespace
}  // namespace bench
