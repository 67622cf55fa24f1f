// Benchmarks on the shipped policy (policies/) and its mix: Policy::decide, Engine::decide,
// split_path() alone, and the hand-written baseline.
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "baseline.hpp"
#include "fixture.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/engine.hpp"

namespace bench {
namespace {

using scopegate::Decision;

void BM_decide_shipped(benchmark::State& state) { run_decide(state, shipped()); }
BENCHMARK(BM_decide_shipped);

void BM_engine_decide_shipped(benchmark::State& state) {
  const Fixture& fixture = shipped();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  auto compiled = scopegate::compile_files({std::string(SCOPEGATE_SOURCE_DIR) + "/policies"});
  const scopegate::Engine engine{std::move(*compiled)};
  // Principals bound to the engine's own policy, so that none needs rebinding.
  const auto current = engine.policy();
  std::vector<Principal> principals;
  principals.reserve(fixture.mix.requests.size());
  for (const Request& request : fixture.mix.requests) {
    principals.push_back(current->rebind(*request.principal));
  }
  const std::vector<Request>& requests = fixture.mix.requests;
  std::size_t next = 0;
  for (auto _ : state) {
    const Request& request = requests[next];
    Decision decision = engine.decide(principals[next], request.method, request.path);
    benchmark::DoNotOptimize(decision);
    if (++next == requests.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_engine_decide_shipped);

// split_path() alone on the shipped mix's paths: the part of a decision that validates
// and splits the path, before any route is looked at.
void BM_split_path_shipped(benchmark::State& state) {
  const Fixture& fixture = shipped();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  const std::vector<Request>& requests = fixture.mix.requests;
  std::size_t next = 0;
  for (auto _ : state) {
    scopegate::PathSegments segments;
    const auto error = scopegate::split_path(requests[next].path, segments);
    benchmark::DoNotOptimize(error);
    benchmark::DoNotOptimize(segments);
    if (++next == requests.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_split_path_shipped);

void BM_baseline_shipped(benchmark::State& state) {
  const Fixture& fixture = shipped();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  run_baseline(state, fixture, make_baseline(*fixture.policy, fixture.mix));
}
BENCHMARK(BM_baseline_shipped);

}  // namespace
}  // namespace bench
