// What conditions cost (issue 4's target: a decision through conditions and forbid rules
// costs at most 2x a plain one). Two versions of the same key-accessible policy, one
// plain and one with the shipped kinds of rules (a `when` size cap on audit logs and the
// allowed_cidrs forbid rule on every /api/v1 route), decided over the same mix, with
// the same full Request (client IP, no headers), and API keys that carry allowed_cidrs
// that admit that IP, so every forbid condition is evaluated to the end.
#include <benchmark/benchmark.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "fixture.hpp"
#include "scopegate/dsl.hpp"

namespace bench {
namespace {

using scopegate::Decision;

constexpr std::string_view condition_policy_routes = R"(
scope sessions:read {
  GET /api/v1/sessions        "List all sessions"
  GET /api/v1/sessions/{id}   "Get session details"
}
scope sessions:write {
  POST /api/v1/sessions              "Start a new session"
  POST /api/v1/sessions/{id}/stop    "Stop a session"
  POST /api/v1/sessions/{id}/extend  "Extend session duration"
}
scope resources:read {
  GET /api/v1/resources       "List all resources"
  GET /api/v1/resources/{id}  "Get resource details"
}
public { GET /healthz }
authenticated { GET /api/v1/auth/me }
role admin { scopes * }
)";

std::string condition_policy_text(bool with_conditions) {
  std::string text(condition_policy_routes);
  if (with_conditions) {
    text += R"(
scope audit:read {
  GET /api/v1/audit-logs "List audit logs" when not request.query.size > 100
}
forbid * /api/v1/** when principal.kind == "api_key" and principal.allowed_cidrs != []
                     and not request.ip in principal.allowed_cidrs {
  message "API key is not allowed from this address"
}
)";
  } else {
    text += "scope audit:read {\n  GET /api/v1/audit-logs \"List audit logs\"\n}\n";
  }
  return text;
}

const Fixture& condition_fixture(bool with_conditions) {
  static const std::array<Fixture, 2> fixtures = [] {
    std::array<Fixture, 2> result;
    for (const bool conditions : {false, true}) {
      Fixture& fixture = result[conditions ? 1 : 0];
      auto compiled = scopegate::compile_source("bench.policy", condition_policy_text(conditions));
      if (!compiled) {
        fixture.error = compiled.error().render();
        continue;
      }
      fixture.policy = std::make_shared<const Policy>(std::move(*compiled));
      fixture.mix = shipped_mix(*fixture.policy);
      for (Principal& principal : fixture.mix.principals) {
        if (principal.kind() == scopegate::PrincipalKind::api_key) {
          principal.set_allowed_cidrs(
              {*scopegate::parse_cidr("10.0.0.0/8"), *scopegate::parse_cidr("192.0.2.0/24")});
        }
      }
    }
    return result;
  }();
  return fixtures[with_conditions ? 1 : 0];
}

void run_decide_request(benchmark::State& state, const Fixture& fixture) {
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  const Policy& policy = *fixture.policy;
  const std::vector<Request>& requests = fixture.mix.requests;
  const auto client = scopegate::parse_ip("10.1.2.3");
  std::size_t next = 0;
  for (auto _ : state) {
    const Request& request = requests[next];
    const scopegate::Request input{request.method, request.path, client, {}, 1'790'000'000};
    Decision decision = policy.decide(*request.principal, input);
    benchmark::DoNotOptimize(decision);
    if (++next == requests.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
  add_policy_counters(state, fixture);
  std::size_t allowed = 0;
  for (const Request& request : requests) {
    const scopegate::Request input{request.method, request.path, client, {}, 1'790'000'000};
    allowed += policy.decide(*request.principal, input).allowed() ? 1 : 0;
  }
  state.counters["allowed_share"] =
      static_cast<double>(allowed) / static_cast<double>(requests.size());
}

void BM_decide_plain_rules(benchmark::State& state) {
  run_decide_request(state, condition_fixture(false));
}
BENCHMARK(BM_decide_plain_rules);

void BM_decide_condition_rules(benchmark::State& state) {
  run_decide_request(state, condition_fixture(true));
}
BENCHMARK(BM_decide_condition_rules);

}  // namespace
}  // namespace bench
