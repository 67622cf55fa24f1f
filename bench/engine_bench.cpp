// Engine benchmarks (issue 2). One decision per benchmark iteration, cycling through a
// fixed, shuffled request mix, so the Time column is the cost of one decision.
//   BM_decide_shipped        Policy::decide on policies/ (the shipped policy)
//   BM_engine_decide_shipped Engine::decide on the same mix (atomic snapshot + keepalive)
//   BM_split_path_shipped    split_path() alone on the same mix's paths
//   BM_baseline_shipped      a hand-written hash map from "METHOD template" to scope
//                            bits, with the template already known, on the same mix
//   BM_decide_large/N        Policy::decide on a generated policy: 1,000 scopes,
//                            10,000 route templates, over a mix of N requests
//   BM_baseline_large/N      the baseline on those mixes (scope ids tested on the
//                            principal's ScopeSet: the policy has more than 64 scopes)
//   BM_decide_large_cold/4096  the 4096 mix with each request's principal and path
//                            an allocation of its own: cold request data
//   BM_compile_large         compile_source() of that generated policy text
//   BM_compile_shipped       compile_files() of policies/
//   BM_decide_plain_rules    Policy::decide with a full Request on a small policy
//   BM_decide_condition_rules  the same policy with a `when` and a forbid rule
// Counters: routes, policy_bytes (Policy::memory_usage()) and bytes_per_route.
// See docs/performance.md for the figures and bench/run-engine-bench to reproduce them.
// Each family lives in a file of its own (shipped_bench.cpp, large_bench.cpp,
// compile_bench.cpp, condition_bench.cpp), on the mixes of request_mix.hpp, the fixtures
// of fixture.hpp and the baselines of baseline.hpp; CMakeLists.txt lists them in the
// order above, which is the order they run in.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
