// The hand-written baselines the engine is measured against: a hash map from
// "METHOD template" to who may call it, handed the template the engine has to find.
// Baseline tests scope bits in one word (at most 64 scopes); WideBaseline tests scope
// ids on the principal's ScopeSet, as decide() does.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>

#include "fixture.hpp"
#include "request_mix.hpp"

namespace bench {

using scopegate::Access;
using scopegate::PrincipalKind;

// What the baseline knows per "METHOD template": who may call it, and which scope bits
// grant it to a key and to a user.
struct BaselineEntry {
  Access access = Access::scoped;
  std::uint64_t key_mask = 0;
  std::uint64_t user_mask = 0;
};

struct BaselineRequest {
  PrincipalKind kind = PrincipalKind::anonymous;
  std::uint64_t held = 0;  // the principal's scope bits
  const std::string* key = nullptr;
};

struct Baseline {
  std::unordered_map<std::string, BaselineEntry> routes;
  std::vector<BaselineRequest> requests;

  bool allowed(const BaselineRequest& request) const {
    const auto found = routes.find(*request.key);
    if (found == routes.end()) return false;
    const BaselineEntry& entry = found->second;
    switch (entry.access) {
      case Access::public_:
        return true;
      case Access::authenticated:
        return request.kind != PrincipalKind::anonymous;
      case Access::scoped:
        break;
    }
    const std::uint64_t mask =
        request.kind == PrincipalKind::api_key ? entry.key_mask : entry.user_mask;
    return (request.held & mask) != 0;
  }
};

Baseline make_baseline(const Policy& policy, const Mix& mix);

// The same hand-written baseline for a policy of more than 64 scopes: the granting scope
// ids kept in the map's entry (up to 4, which the generated policy never exceeds: each
// of its endpoints has one granting scope), tested on the principal's own ScopeSet as
// decide() tests them.
struct WideEntry {
  Access access = Access::scoped;
  std::uint8_t key_count = 0;
  std::uint8_t user_count = 0;
  std::array<scopegate::ScopeId, 4> key_scopes{};
  std::array<scopegate::ScopeId, 4> user_scopes{};
};

struct WideRequest {
  const Principal* principal = nullptr;
  const std::string* key = nullptr;
};

struct WideBaseline {
  std::unordered_map<std::string, WideEntry> routes;
  std::vector<WideRequest> requests;

  bool allowed(const WideRequest& request) const {
    const auto found = routes.find(*request.key);
    if (found == routes.end()) return false;
    const WideEntry& entry = found->second;
    const PrincipalKind kind = request.principal->kind();
    switch (entry.access) {
      case Access::public_:
        return true;
      case Access::authenticated:
        return kind != PrincipalKind::anonymous;
      case Access::scoped:
        break;
    }
    const bool key = kind == PrincipalKind::api_key;
    const std::uint8_t count = key ? entry.key_count : entry.user_count;
    const auto& scopes = key ? entry.key_scopes : entry.user_scopes;
    for (std::uint8_t i = 0; i < count; ++i) {
      if (request.principal->scopes().contains(scopes[i])) return true;
    }
    return false;
  }
};

WideBaseline make_wide_baseline(const Policy& policy, const Mix& mix);

// Times `baseline` (a Baseline or a WideBaseline of `fixture`'s mix), once it is checked
// to agree with the engine on every request: otherwise the comparison means nothing.
template <typename AnyBaseline>
void run_baseline(benchmark::State& state, const Fixture& fixture, const AnyBaseline& baseline) {
  for (std::size_t i = 0; i < baseline.requests.size(); ++i) {
    const Request& request = fixture.mix.requests[i];
    const bool engine_allowed =
        fixture.policy->decide(*request.principal, request.method, request.path).allowed();
    if (engine_allowed != baseline.allowed(baseline.requests[i])) {
      const std::string message = "baseline disagrees with the engine on " +
                                  std::string(request.method) + " " + std::string(request.path);
      state.SkipWithError(message.c_str());
      return;
    }
  }
  std::size_t next = 0;
  for (auto _ : state) {
    bool allowed = baseline.allowed(baseline.requests[next]);
    benchmark::DoNotOptimize(allowed);
    if (++next == baseline.requests.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace bench
