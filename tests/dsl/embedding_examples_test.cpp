// The C++ snippets of docs/embedding.md, run: every ```cpp block there marked
// `<!-- tested: tests/dsl/embedding_examples_test.cpp -->` must appear in this file, line
// for line (indentation aside), and the test cases below run them and check their output.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/dsl.hpp"
#include "scopegate/engine.hpp"
#include "test_files.hpp"

namespace {

const char* const embedded_policy_text = R"(scope sessions:read {
  GET /api/v1/sessions/{id}
}
scope sessions:write {
  POST /api/v1/sessions/{id}/stop
}
user scope users:manage {
  GET /api/v1/users
}
public {
  GET /healthz
}
)";

std::shared_ptr<const scopegate::Policy> example_policy() {
  auto compiled = scopegate::compile_source("api.policy", embedded_policy_text);
  REQUIRE(compiled);
  return std::make_shared<const scopegate::Policy>(std::move(*compiled));
}

// "An Engine before its policy"
class Service {
 public:
  void load(scopegate::Policy policy) { m_engine.replace(std::move(policy)); }
  scopegate::Decision decide(const scopegate::Principal& who, std::string_view method,
                             std::string_view path) const {
    return m_engine.decide(who, method, path);  // no_policy (503) until load()
  }

 private:
  scopegate::Engine m_engine;
};

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    const auto begin = line.find_first_not_of(' ');
    if (begin == std::string::npos) continue;
    lines.push_back(line.substr(begin));
  }
  return lines;
}

bool contains_lines(const std::vector<std::string>& haystack,
                    const std::vector<std::string>& needle) {
  for (std::size_t at = 0; at + needle.size() <= haystack.size(); ++at) {
    if (std::equal(needle.begin(), needle.end(), haystack.begin() + static_cast<long>(at)))
      return true;
  }
  return false;
}

}  // namespace

TEST_CASE("embedding.md: the checked key reports a misspelt and a user scope") {
  const auto policy = example_policy();
  std::ostringstream out;
  scopegate::CheckedPrincipal checked =
      policy->principal_for_key_checked({"sessions:read", "sesions:write", "users:manage"});
  if (!checked.ok()) {
    for (const scopegate::ScopeProblem& problem : checked.problems)
      out << problem.message() << '\n';
    // unknown scope: sesions:write (did you mean sessions:write?)
    // scope users:manage cannot be granted to an API key
  }
  CHECK(out.str() ==
        "unknown scope: sesions:write (did you mean sessions:write?)\n"
        "scope users:manage cannot be granted to an API key\n");
}

TEST_CASE("embedding.md: a key from a scope string") {
  const auto policy = example_policy();
  scopegate::Principal key = policy->principal_for_scope_string("sessions:read sessions:write");
  // the same as policy->principal_for_key(scopegate::split_scopes("sessions:read sessions:write"))
  CHECK(key.scope_names() == std::vector<std::string>{"sessions:read", "sessions:write"});
  CHECK(policy->decide(key, "POST", "/api/v1/sessions/1/stop").allowed());
  CHECK(
      key.scopes() ==
      policy->principal_for_key(scopegate::split_scopes("sessions:read sessions:write")).scopes());
}

TEST_CASE("embedding.md: a service answers no_policy until its policy is loaded") {
  Service service;
  const scopegate::Decision before = service.decide({}, "GET", "/healthz");
  CHECK(before.reason() == scopegate::Reason::no_policy);
  CHECK(before.status() == 503);
  CHECK(before.message() == "No policy is loaded");
  auto compiled = scopegate::compile_source("api.policy", embedded_policy_text);
  REQUIRE(compiled);
  service.load(std::move(*compiled));
  CHECK(service.decide({}, "GET", "/healthz").allowed());
}

TEST_CASE("embedding.md: reading a failed compile as a policy throws with the diagnostics") {
  std::ostringstream out;
  auto compiled = scopegate::compile_source("api.policy", "role member { scopes sesions:read }");
  try {
    scopegate::Engine engine{std::move(*compiled)};
  } catch (const scopegate::bad_result_access& e) {
    out << e.what();  // scopegate::Result: value() on an error: api.policy:1:22: ...
  }
  CHECK(out.str().starts_with(
      "scopegate::Result: value() on an error: api.policy:1:22: error: unknown scope"));
}

TEST_CASE("embedding.md: every snippet marked as tested is in this file") {
  const std::string doc =
      scopegate::testing::read_file(std::string(SCOPEGATE_SOURCE_DIR) + "/docs/embedding.md");
  const std::vector<std::string> self = lines_of(scopegate::testing::read_file(
      std::string(SCOPEGATE_SOURCE_DIR) + "/tests/dsl/embedding_examples_test.cpp"));
  const std::string marker = "<!-- tested: tests/dsl/embedding_examples_test.cpp -->\n```cpp\n";
  std::size_t snippets = 0;
  for (std::size_t at = doc.find(marker); at != std::string::npos; at = doc.find(marker, at)) {
    at += marker.size();
    const std::size_t end = doc.find("```", at);
    REQUIRE(end != std::string::npos);
    const std::string snippet = doc.substr(at, end - at);
    INFO(snippet);
    CHECK(contains_lines(self, lines_of(snippet)));
    ++snippets;
  }
  CHECK(snippets == 4);
}
