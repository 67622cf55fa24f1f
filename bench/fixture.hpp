// The policies and mixes the decide benchmarks run on, each compiled once, and the loop
// that times Policy::decide over one. A fixture whose policy did not compile carries the
// rendered error, and its benchmarks skip with it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "request_mix.hpp"

namespace bench {

struct Fixture {
  std::shared_ptr<const Policy> policy;
  Mix mix;
  std::string error;
};

// policies/ (the shipped policy) and its mix.
const Fixture& shipped();

// The text of the generated policy: 1,000 scopes, 10,000 route templates.
const std::string& large_text();

// The generated policy with a mix of `size` requests.
Fixture large(std::size_t size);

// The mix of `size` requests with its request data cold, much as this harness laid it
// out until de5b3f9: each request's principal a copy of its own (the anonymous, admin
// and viewer ones too, which were shared) and its path a string of its own, allocated
// in request order (the methods stay in the mix's text). Each decision then reads its
// principal, its scope bits and its path where no other decision did, and those reads
// push the policy out of the caches: what a caller whose requests' data is not in cache
// pays on top of BM_decide_large.
Fixture large_cold(std::size_t size);

// Counters: routes, scopes, policy_bytes (Policy::memory_usage()), bytes_per_route, mix.
void add_policy_counters(benchmark::State& state, const Fixture& fixture);

// One Policy::decide per iteration, cycling through the fixture's mix.
void run_decide(benchmark::State& state, const Fixture& fixture);

}  // namespace bench
