// Values that cannot match are errors: a closed attribute (`principal.kind`,
// `request.method`) compared with a value it never has; type errors whose help shows
// the accepted form; did-you-mean that never offers an invalid name.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "scopegate/dsl.hpp"

namespace {

struct ValueRow {
  const char* note;
  const char* condition;
  const char* message;
  const char* help;  // a part of the help
};

const scopegate::Diagnostic& only(const scopegate::Diagnostics& diagnostics) {
  REQUIRE(diagnostics.size() == 1);
  return diagnostics.items().front();
}

}  // namespace

TEST_CASE("a closed attribute compared with a value it never has is an error") {
  const std::vector<ValueRow> rows = {
      {"apikey for api_key", "principal.kind == \"apikey\"", "'principal.kind' is never 'apikey'",
       "did you mean \"api_key\"? principal.kind is one of \"api_key\", \"user\", \"anonymous\""},
      {"the literal on the left", "\"api-key\" != principal.kind",
       "'principal.kind' is never 'api-key'", "did you mean \"api_key\"?"},
      {"an item of a list", "principal.kind in [\"user\", \"robot\"]",
       "'principal.kind' is never 'robot'", "principal.kind is one of"},
      {"a method in lower case", "request.method == \"get\"", "'request.method' is never 'get'",
       "did you mean \"GET\"?"},
      {"a misspelt method", "request.method in [\"POTS\"]", "'request.method' is never 'POTS'",
       "did you mean \"POST\"?"},
  };
  for (const ValueRow& row : rows) {
    const std::string policy = std::string(
                                   "scope repos:write { DELETE /repos/{id} }\n"
                                   "forbid DELETE /repos/** when ") +
                               row.condition + " { }\n";
    INFO(row.note << "\n" << policy);
    const auto compiled = scopegate::compile_source("v.policy", policy);
    REQUIRE_FALSE(compiled.has_value());
    INFO(compiled.error().render());
    const auto& d = only(compiled.error());
    CHECK(d.code == "unknown-value");
    CHECK(d.message == row.message);
    CHECK_THAT(d.help, Catch::Contains(row.help));
  }
}

TEST_CASE("every value a closed attribute has is accepted") {
  for (const char* condition :
       {"principal.kind == \"api_key\"", "principal.kind != \"user\"",
        "principal.kind in [\"anonymous\", \"user\"]", "request.method == \"DELETE\"",
        "request.method in [\"TRACE\", \"OPTIONS\"]", "principal.role == \"anything\""}) {
    const std::string policy =
        std::string("scope repos:write { DELETE /repos/{id} }\nforbid * /repos/** when ") +
        condition + " { }\n";
    INFO(policy);
    CHECK(scopegate::compile_source("v.policy", policy).has_value());
  }
}

TEST_CASE("a type error's help shows the form that is accepted") {
  const auto time = scopegate::compile_source(
      "v.policy", "scope a:read { GET /a when request.time < 1798761600 }\n");
  REQUIRE_FALSE(time.has_value());
  CHECK_THAT(only(time.error()).help, Catch::Contains("`request.time < \"2027-01-01T00:00:00Z\"`"));
  const auto ip = scopegate::compile_source(
      "v.policy", "scope a:read { GET /a when request.ip == \"10.0.0.1\" }\n");
  REQUIRE_FALSE(ip.has_value());
  CHECK_THAT(only(ip.error()).help, Catch::Contains("`request.ip == 10.0.0.1`"));
}

TEST_CASE("did you mean never suggests a scope name that is itself invalid") {
  const auto compiled = scopegate::compile_source(
      "v.policy", "scope \"issues read\" { GET /issues }\nrole r { scopes issues:read }\n");
  REQUIRE_FALSE(compiled.has_value());
  const std::string rendered = compiled.error().render();
  INFO(rendered);
  CHECK(rendered.find("did you mean 'issues read'") == std::string::npos);
  CHECK(rendered.find("[unknown-scope]") != std::string::npos);
  CHECK(rendered.find("[bad-scope-name]") != std::string::npos);
}

TEST_CASE("a mixed-case scope name is valid and is suggested for a near miss") {
  const auto compiled = scopegate::compile_source(
      "v.policy", "scope Issues:Read { GET /issues }\nrole r { scopes issues:read }\n");
  REQUIRE_FALSE(compiled.has_value());
  const std::string rendered = compiled.error().render();
  INFO(rendered);
  CHECK(rendered.find("[bad-scope-name]") == std::string::npos);
  CHECK(rendered.find("did you mean 'Issues:Read'?") != std::string::npos);
}
