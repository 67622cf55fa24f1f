// A program outside scopegate's build: compiles a policy text with the dsl, decides two
// requests with the engine and prints the decisions. tests/consumer/run builds it against
// an installed scopegate, through find_package (cmake/) and through pkg-config.
#include <iostream>
#include <utility>

#include "scopegate/dsl.hpp"
#include "scopegate/engine.hpp"

namespace {

const char* const policy_text = R"(scope sessions:read {
  summary "View session information."
  GET /api/v1/sessions/{id}  "Get session details"
}
scope sessions:write {
  summary "Stop sessions."
  POST /api/v1/sessions/{id}/stop  "Stop a session"
}
)";

}  // namespace

int main() {
  // The installed header and the installed library are of one version.
  if (scopegate::library_version() != SCOPEGATE_VERSION_STRING) {
    std::cerr << "headers " << SCOPEGATE_VERSION_STRING << ", library "
              << scopegate::library_version() << '\n';
    return 1;
  }
  auto compiled = scopegate::compile_source("consumer.policy", policy_text);
  if (!compiled) {
    std::cerr << compiled.error();
    return 1;
  }
  scopegate::Engine engine{std::move(*compiled)};
  auto key = engine.policy()->principal_for_key({"sessions:read"});
  for (const char* method : {"GET", "POST"}) {
    const char* path = method[0] == 'G' ? "/api/v1/sessions/42" : "/api/v1/sessions/42/stop";
    scopegate::Decision d = engine.decide(key, method, path);
    std::cout << method << ' ' << path << ": " << d.status() << ' ' << d.reason_code() << '\n';
  }
  return 0;
}
