// The C interface (libscopegate.so, scopegate.h) on the shipped policy and its mix:
// scopegate_decide into one reused decision, then scopegate_decision_allowed, beside
// BM_decide_shipped (Policy::decide) in the same run, on the same inputs laid out alike:
// one C principal for each of the mix's principals (built through the C interface from
// its kind, scopes or role) and the methods and paths in one text, in decision order,
// NUL-terminated. Every C decision is checked to agree with Policy::decide before timing.
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "scopegate.h"

namespace bench {
namespace {

struct CRequest {
  const scopegate_principal* principal;
  const char* method;
  const char* path;
};

struct CFixture {
  scopegate_engine* engine = nullptr;
  std::map<const Principal*, scopegate_principal*> principals;
  std::vector<char> text;  // "GET\0/api/v1/sessions/42\0POST\0..."
  std::vector<CRequest> requests;
  std::string error;

  ~CFixture() {
    for (auto& [_, principal] : principals) scopegate_principal_free(principal);
    scopegate_engine_free(engine);
  }
};

scopegate_principal* c_principal(const scopegate_engine* engine, const Principal& principal) {
  scopegate_principal* made = nullptr;
  switch (principal.kind()) {
    case scopegate::PrincipalKind::anonymous:
      scopegate_principal_anonymous(&made);
      break;
    case scopegate::PrincipalKind::user:
      scopegate_principal_for_role(engine, principal.role().c_str(), &made);
      break;
    case scopegate::PrincipalKind::api_key: {
      std::vector<const char*> scopes;
      for (const auto& name : principal.scope_names()) scopes.push_back(name.c_str());
      scopegate_principal_for_key(engine, scopes.data(), scopes.size(), &made);
      break;
    }
  }
  return made;
}

void make(CFixture& c, const Fixture& fixture) {
  const std::string policies = std::string(SCOPEGATE_SOURCE_DIR) + "/policies";
  const char* paths[] = {policies.c_str()};
  scopegate_policy* policy = nullptr;
  if (scopegate_compile_files(paths, 1, &policy, nullptr) != SCOPEGATE_OK ||
      scopegate_engine_new(policy, &c.engine) != SCOPEGATE_OK) {
    c.error = "the shipped policy did not compile through scopegate.h";
  }
  scopegate_policy_free(policy);
  if (!c.error.empty()) return;
  std::vector<std::size_t> offsets;
  for (const Request& request : fixture.mix.requests) {
    for (std::string_view part : {request.method, request.path}) {
      offsets.push_back(c.text.size());
      c.text.insert(c.text.end(), part.begin(), part.end());
      c.text.push_back('\0');
    }
    auto& principal = c.principals[request.principal];
    if (principal == nullptr) principal = c_principal(c.engine, *request.principal);
  }
  scopegate_decision* decision = nullptr;
  scopegate_decision_new(&decision);
  for (std::size_t i = 0; i < fixture.mix.requests.size(); ++i) {
    const Request& request = fixture.mix.requests[i];
    c.requests.push_back(
        {c.principals[request.principal], &c.text[offsets[2 * i]], &c.text[offsets[2 * i + 1]]});
    const CRequest& made = c.requests.back();
    scopegate_decide(c.engine, made.principal, made.method, made.path, decision);
    const auto expected = fixture.policy->decide(*request.principal, request.method, request.path);
    if (scopegate_decision_status(decision) != expected.status() ||
        scopegate_decision_reason(decision) != static_cast<int>(expected.reason())) {
      c.error = "the C interface disagrees with Policy::decide on " + std::string(made.method) +
                ' ' + made.path;
      break;
    }
  }
  scopegate_decision_free(decision);
}

void BM_c_decide_shipped(benchmark::State& state) {
  const Fixture& fixture = shipped();
  CFixture c;
  if (fixture.error.empty()) make(c, fixture);
  const std::string& error = fixture.error.empty() ? c.error : fixture.error;
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  scopegate_decision* decision = nullptr;
  scopegate_decision_new(&decision);
  std::size_t next = 0;
  for (auto _ : state) {
    const CRequest& request = c.requests[next];
    scopegate_decide(c.engine, request.principal, request.method, request.path, decision);
    benchmark::DoNotOptimize(scopegate_decision_allowed(decision));
    if (++next == c.requests.size()) next = 0;
  }
  scopegate_decision_free(decision);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_c_decide_shipped);

}  // namespace
}  // namespace bench
