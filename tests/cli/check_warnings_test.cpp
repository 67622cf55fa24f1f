// `scopegate check` with warnings: printed, exit 0; `--deny-warnings` exits 1; JSON
// carries the severity. Runs the built binary on tests/diagnostics/ goldens.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "subprocess.hpp"
#include "test_files.hpp"

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

TEST_CASE("check --style adds scope-name-style, and without it the name is fine") {
  const std::string styled = "tests/diagnostics/scope-name-style.policy";
  const auto plain = run(SCOPEGATE_EXE, {"check", "--deny-warnings", styled});
  CHECK(plain.status == 0);
  CHECK(plain.err.empty());
  const auto result = run(SCOPEGATE_EXE, {"check", "--style", styled});
  CHECK(result.status == 0);
  CHECK_THAT(result.err,
             Catch::Contains("warning: scope name 'Sessions:Read' is not in the `resource:action` "
                             "style [scope-name-style]"));
  CHECK(run(SCOPEGATE_EXE, {"check", "--style", "--deny-warnings", styled}).status == 1);
  // The shipped policy keeps the house style.
  CHECK(run(SCOPEGATE_EXE, {"check", "--style", "--deny-warnings", "policies"}).status == 0);
}

TEST_CASE("explain --scopes takes OAuth 2.0 scope names") {
  const scopegate::testing::TempDir dir;
  const auto policy = dir.write("oauth.policy", R"(scope chat:write.public {
  POST /chat.postMessage
}

scope "https://www.googleapis.com/auth/drive.readonly" {
  GET /drive/v3/files
}
)");
  const auto allowed =
      run(SCOPEGATE_EXE, {"explain", "--policy", policy.string(), "--format", "json", "--scopes",
                          "https://www.googleapis.com/auth/drive.readonly,chat:write.public", "GET",
                          "/drive/v3/files"});
  INFO(allowed.err);
  CHECK(allowed.status == 0);
  const auto json = nlohmann::json::parse(allowed.out);
  CHECK(json["allowed"] == true);
  CHECK(json["principal"]["scopes"] ==
        nlohmann::json::array(
            {"https://www.googleapis.com/auth/drive.readonly", "chat:write.public"}));
  const auto denied = run(SCOPEGATE_EXE, {"explain", "--policy", policy.string(), "--scopes",
                                          "chat:write.public", "GET", "/drive/v3/files"});
  CHECK_THAT(denied.out, Catch::Contains("https://www.googleapis.com/auth/drive.readonly"));
}
