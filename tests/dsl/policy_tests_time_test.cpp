// The time a policy test case without `time` is decided at (dsl/policy_tests.hpp): the one
// given to run_policy_tests(), or the clock's, read once for the whole run, as
// `scopegate explain` does; the server's reload gate calls the same function.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/policy_tests.hpp"

namespace {

std::int64_t clock_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* const policy_text = R"(scope old:read {
  GET /old when request.time < "2001-01-01T00:00:00Z"
}
scope new:read {
  GET /new when request.time >= "2001-01-01T00:00:00Z"
}
)";

const char* const cases_text = R"([[case]]
name = "after 2001 the old route is closed"
scopes = ["old:read"]
request = "GET /old"
expect = "deny"
reason = "condition_failed"

[[case]]
name = "after 2001 the new route is open"
scopes = ["new:read"]
request = "GET /new"
expect = "allow"

[[case]]
name = "a case with its own time keeps it"
scopes = ["old:read"]
request = "GET /old"
time = 2000-06-01T00:00:00Z
expect = "allow"
)";

}  // namespace

TEST_CASE("a policy test case without time is decided at the clock's time, read once") {
  auto policy = scopegate::compile_source("t.policy", policy_text);
  REQUIRE(policy);
  const auto loaded = scopegate::parse_policy_tests("t.toml", cases_text);
  REQUIRE(loaded.errors.empty());
  const std::int64_t before = clock_seconds();
  const auto report = scopegate::run_policy_tests(*policy, loaded.cases);
  const std::int64_t after = clock_seconds();
  CHECK(report.ok());
  CHECK(report.time >= before);
  CHECK(report.time <= after);
}

TEST_CASE("a policy test case without time is decided at the default time given") {
  auto policy = scopegate::compile_source("t.policy", policy_text);
  REQUIRE(policy);
  const auto loaded = scopegate::parse_policy_tests("t.toml", cases_text);
  // 2000-06-01T00:00:00Z: before 2001, so the first two cases fail and the third holds.
  const auto report = scopegate::run_policy_tests(*policy, loaded.cases, 959817600);
  CHECK(report.time == 959817600);
  REQUIRE(report.results.size() == 3);
  CHECK_FALSE(report.results[0].passed);
  CHECK_FALSE(report.results[1].passed);
  CHECK(report.results[2].passed);
}
