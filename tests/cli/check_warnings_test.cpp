// `scopegate check` with warnings: printed, exit 0; `--deny-warnings` exits 1; JSON
// carries the severity. Runs the built binary on tests/diagnostics/ goldens.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "subprocess.hpp"

namespace {

using scopegate::test::run;

const std::string warned = "tests/diagnostics/empty-role.policy";

}  // namespace

TEST_CASE("check prints a warning and exits 0") {
  const auto result = run(SCOPEGATE_EXE, {"check", warned});
  CHECK(result.status == 0);
  CHECK_THAT(result.err, Catch::Contains("warning: role 'guest' holds no scope [empty-role]"));
  CHECK_THAT(result.err, Catch::EndsWith("1 warning generated.\n"));
  CHECK(result.out == warned + ": 1 file, 1 scope, 1 endpoint, 2 roles: 1 warning\n");
}

TEST_CASE("check --deny-warnings exits 1 on a warning, 0 on a clean policy") {
  const auto denied = run(SCOPEGATE_EXE, {"check", "--deny-warnings", warned});
  CHECK(denied.status == 1);
  CHECK_THAT(denied.out, Catch::EndsWith(": 1 warning, denied\n"));
  CHECK_THAT(denied.err, Catch::Contains("[empty-role]"));
  const auto clean = run(SCOPEGATE_EXE, {"check", "--deny-warnings", "policies"});
  CHECK(clean.status == 0);
  CHECK(clean.err.empty());
}

TEST_CASE("check --format json gives a warning's severity") {
  const auto result = run(SCOPEGATE_EXE, {"check", "--format", "json", warned});
  CHECK(result.status == 0);
  CHECK(result.err.empty());
  const auto json = nlohmann::json::parse(result.out);
  REQUIRE(json.size() == 1);
  CHECK(json[0]["severity"] == "warning");
  CHECK(json[0]["code"] == "empty-role");
  const auto denied = run(SCOPEGATE_EXE, {"check", "--format", "json", "--deny-warnings", warned});
  CHECK(denied.status == 1);
}
