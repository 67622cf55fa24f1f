// A fixed loop of decisions on the shipped policy, for instruction counts: run it under
// `valgrind --tool=callgrind` to compare two builds of the engine exactly (timings on a
// shared machine move by tens of percent; instruction counts do not). 16 requests (every
// kind of answer: allowed, missing scope, user-only, unknown route, wrong method, public)
// for 4 principals, N decisions in all (default 100,000). Prints how many were allowed,
// which must not change between builds that only optimize.
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/dsl.hpp"

int main(int argc, char** argv) {
  auto compiled = scopegate::compile_files({std::string(SCOPEGATE_SOURCE_DIR) + "/policies"});
  if (!compiled) {
    std::cerr << compiled.error();
    return 1;
  }
  const scopegate::Policy& policy = *compiled;
  const std::vector<scopegate::Principal> principals = {
      policy.principal_for_key({"sessions:read"}),
      policy.principal_for_key({"sessions:write", "sessions:read", "resources:read", "audit:read"}),
      policy.principal_for_key({}),
      policy.principal_for_role("admin"),
  };
  struct Call {
    std::string_view method;
    std::string_view path;
  };
  const std::vector<Call> calls = {
      {"GET", "/api/v1/sessions"},
      {"GET", "/api/v1/sessions/3fa85f64-5717-4562-b3fc-2c963f66afa6"},
      {"POST", "/api/v1/sessions/3fa85f64-5717-4562-b3fc-2c963f66afa6/stop"},
      {"POST", "/api/v1/sessions"},
      {"GET", "/api/v1/resources/42"},
      {"GET", "/api/v1/audit-logs"},
      {"GET", "/api/v1/api-keys"},
      {"GET", "/api/v1/users/12"},
      {"GET", "/api/v1/nope"},
      {"DELETE", "/api/v1/sessions"},
      {"GET", "/healthz"},
      {"GET", "/api/v1/auth/me"},
      {"POST", "/api/v1/sessions/1/extend"},
      {"GET", "/api/v1/resources"},
      {"PUT", "/api/v1/resources/9"},
      {"GET", "/api/v1/sessions/admin"},
  };
  const long count = argc > 1 ? std::atol(argv[1]) : 100'000;
  long allowed = 0;
  for (long i = 0; i < count; ++i) {
    const Call& call = calls[static_cast<std::size_t>(i) % calls.size()];
    const auto& principal = principals[static_cast<std::size_t>(i / 16) % principals.size()];
    allowed += policy.decide(principal, call.method, call.path).allowed() ? 1 : 0;
  }
  std::cout << count << " decisions, " << allowed << " allowed\n";
  return 0;
}
