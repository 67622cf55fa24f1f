// Policy tool benchmarks (issue 4): `scopegate fmt` and `scopegate diff` on generated
// policies of 10,000 routes (1,000 scopes x 10 routes, every fifth route with a
// condition, one wildcard route per 10 scopes, two roles, two forbid rules).
//   BM_format_10k     format_source() of the generated text, written untidily
//   BM_diff_10k       compile_source() of two such policies (the new one with 100 routes
//                     renamed, 10 conditions changed and one implies added) + diff_policies():
//                     what `scopegate diff OLD NEW` does
//   BM_diff_only_10k  diff_policies() of the two compiled policies
// Targets: fmt <= 200 ms, diff <= 1 s. Figures: docs/performance.md, "Policy tools".
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/diff.hpp"
#include "scopegate/dsl/format.hpp"

namespace {

constexpr int scope_count = 1000;
constexpr int routes_per_scope = 10;

enum class Version : std::uint8_t { old_policy, new_policy };

// Not canonical on purpose: single spaces, metadata after routes, loose parentheses.
std::string generate(Version version) {
  std::string text = "# generated\n";
  const bool changed = version == Version::new_policy;
  for (int s = 0; s < scope_count; ++s) {
    text += "scope res" + std::to_string(s) + ":read {  # scope " + std::to_string(s) + "\n";
    for (int r = 0; r < routes_per_scope; ++r) {
      // The new version renames route 3 of every tenth scope (one endpoint removed,
      // one added).
      const bool moved = changed && s % 10 == 0 && r == 3;
      const int id = moved ? s + 1 : s;
      std::string route = (r % 2 == 0 ? " GET " : " POST ");
      route += "/api/v1/res" + std::to_string(id) + "/item" + std::to_string(r) +
               (moved ? "m" : "") + "/{id}";
      route += " \"Route " + std::to_string(r) + " of scope " + std::to_string(s) + "\"";
      if (r % 5 == 0) {
        const int cap = changed && s % 100 == 0 ? 50 : 100;
        route += " when (request.query.size<=" + std::to_string(cap) +
                 ") and principal.kind==\"api_key\"";
      }
      text += route + "\n";
    }
    if (s % 10 == 0) {
      text += "  GET /api/v1/res" + std::to_string(s) + "/item0/**\n";
    }
    text += "summary \"Scope " + std::to_string(s) + "\"\n";
    if (changed && s == 500) text += "implies res1:read\n";
    text += "}\n";
  }
  text += "role admin { scopes * }\nrole member { scopes res0:read res1:read res2:read }\n";
  text += "forbid DELETE /api/v1/** { message \"never\" }\n";
  text +=
      "forbid * /api/v1/** when principal.allowed_cidrs != [] and not request.ip in "
      "principal.allowed_cidrs { message \"not from here\" }\n";
  return text;
}

scopegate::Policy compile(const std::string& text) {
  auto policy = scopegate::compile_source("generated.policy", text);
  if (!policy) throw std::runtime_error(policy.error().render());
  return std::move(*policy);
}

void BM_format_10k(benchmark::State& state) {
  const std::string text = generate(Version::old_policy);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto formatted = scopegate::format_source("generated.policy", text);
    if (!formatted) throw std::runtime_error(formatted.error().render());
    bytes = formatted->size();
    benchmark::DoNotOptimize(formatted->data());
  }
  state.counters["routes"] = scope_count * routes_per_scope;
  state.counters["input_bytes"] = static_cast<double>(text.size());
  state.counters["output_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_format_10k)->Unit(benchmark::kMillisecond);

void BM_diff_10k(benchmark::State& state) {
  const std::string before = generate(Version::old_policy);
  const std::string after = generate(Version::new_policy);
  std::size_t differences = 0;
  for (auto _ : state) {
    const scopegate::Policy a = compile(before);
    const scopegate::Policy b = compile(after);
    const scopegate::PolicyDiff diff = scopegate::diff_policies(a, b);
    differences = diff.endpoints_added.size() + diff.conditions.size() + diff.scopes.size();
    benchmark::DoNotOptimize(differences);
  }
  state.counters["routes"] = scope_count * routes_per_scope;
  state.counters["differences"] = static_cast<double>(differences);
}
BENCHMARK(BM_diff_10k)->Unit(benchmark::kMillisecond);

void BM_diff_only_10k(benchmark::State& state) {
  const scopegate::Policy a = compile(generate(Version::old_policy));
  const scopegate::Policy b = compile(generate(Version::new_policy));
  for (auto _ : state) {
    const scopegate::PolicyDiff diff = scopegate::diff_policies(a, b);
    benchmark::DoNotOptimize(diff.scopes.data());
  }
}
BENCHMARK(BM_diff_only_10k)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
