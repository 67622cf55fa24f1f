// Building the hand-written baselines (baseline.hpp) from a compiled policy and a mix.
#include "baseline.hpp"

#include <span>
#include <stdexcept>
#include <string_view>

namespace bench {
namespace {

using scopegate::Endpoint;

std::uint64_t scope_bits(const Policy& policy, std::span<const std::string_view> names) {
  std::uint64_t bits = 0;
  for (const std::string_view name : names) {
    const auto id = policy.find_scope(name);
    if (id && *id < 64) bits |= std::uint64_t{1} << *id;
  }
  return bits;
}

}  // namespace

Baseline make_baseline(const Policy& policy, const Mix& mix) {
  if (policy.scopes().size() > 64) throw std::runtime_error("baseline needs <= 64 scopes");
  Baseline baseline;
  for (const Endpoint& endpoint : policy.endpoints()) {
    baseline.routes[baseline_key(scopegate::to_string(endpoint.method), endpoint.path_template)] = {
        endpoint.access, scope_bits(policy, endpoint.key_scopes()),
        scope_bits(policy, endpoint.user_scopes())};
  }
  for (std::size_t i = 0; i < mix.requests.size(); ++i) {
    const Principal& principal = *mix.requests[i].principal;
    std::uint64_t held = 0;
    for (std::uint32_t id = 0; id < policy.scopes().size(); ++id) {
      if (principal.scopes().contains(id)) held |= std::uint64_t{1} << id;
    }
    baseline.requests.push_back({principal.kind(), held, &mix.baseline_keys[i]});
  }
  return baseline;
}

WideBaseline make_wide_baseline(const Policy& policy, const Mix& mix) {
  WideBaseline baseline;
  const auto ids = [&policy](std::span<const std::string_view> names, auto& out) {
    if (names.size() > out.size()) throw std::runtime_error("wide baseline: > 4 granting scopes");
    for (std::size_t i = 0; i < names.size(); ++i) out[i] = policy.find_scope(names[i]).value();
    return static_cast<std::uint8_t>(names.size());
  };
  for (const Endpoint& endpoint : policy.endpoints()) {
    WideEntry entry;
    entry.access = endpoint.access;
    entry.key_count = ids(endpoint.key_scopes(), entry.key_scopes);
    entry.user_count = ids(endpoint.user_scopes(), entry.user_scopes);
    baseline.routes[baseline_key(scopegate::to_string(endpoint.method), endpoint.path_template)] =
        entry;
  }
  for (std::size_t i = 0; i < mix.requests.size(); ++i) {
    baseline.requests.push_back({mix.requests[i].principal, &mix.baseline_keys[i]});
  }
  return baseline;
}

}  // namespace bench
