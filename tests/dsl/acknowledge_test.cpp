// `allow_warning CODE "why"` (dsl/src/acknowledge.cpp): it silences the warning CODE about
// its own block only; one that silences nothing is itself a warning; `fmt` keeps it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "diagnostic_codes.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/dsl/format.hpp"

using scopegate::testing::codes_of;

TEST_CASE("allow_warning in the block a warning is about silences it") {
  const auto checked = scopegate::check_source(
      "a.policy",
      "scope repo:read { GET /repos/{id} }\n"
      "scope public-repo:read {\n"
      "  allow_warning shared-route \"both GitHub scopes read public repositories\"\n"
      "  GET /repos/{id}\n"
      "}\n");
  INFO(checked.diagnostics.render());
  CHECK(checked.policy.has_value());
  CHECK(checked.diagnostics.empty());
}

TEST_CASE("allow_warning in another block does not silence a warning") {
  const auto checked = scopegate::check_source(
      "a.policy",
      "scope repo:read { allow_warning shared-route \"x\" GET /repos/{id} }\n"
      "scope public-repo:read { GET /repos/{id} }\n");
  CHECK(codes_of(checked.diagnostics) ==
        std::vector<std::string>{"unused-allow-warning", "shared-route"});
}

TEST_CASE("allow_warning for a warning that does not occur is itself a warning") {
  const auto checked = scopegate::check_source(
      "a.policy", "scope a:read { allow_warning wildcard-grant \"x\" GET /a }\n");
  REQUIRE(codes_of(checked.diagnostics) == std::vector<std::string>{"unused-allow-warning"});
  CHECK(checked.diagnostics.items()[0].message ==
        "`allow_warning wildcard-grant` in scope 'a:read' allows no warning");
  CHECK(checked.diagnostics.items()[0].severity == scopegate::Severity::warning);
}

TEST_CASE("allow_warning with a misspelt code suggests the warning code") {
  const auto checked = scopegate::check_source(
      "a.policy", "scope a:read { GET /a }\nrole r { allow_warning empty-rol \"x\" }\n");
  REQUIRE(codes_of(checked.diagnostics) ==
          std::vector<std::string>{"empty-role", "unused-allow-warning"});
  CHECK(checked.diagnostics.items()[1].message == "'empty-rol' is not a warning code");
  CHECK(checked.diagnostics.items()[1].help == "did you mean 'empty-role'?");
}

TEST_CASE("allow_warning silences a forbid rule kept as a guard, and a role left empty") {
  const auto checked = scopegate::check_source(
      "a.policy",
      "scope audit:read { GET /audit-logs }\n"
      "forbid DELETE /audit-logs/** {\n"
      "  message \"Audit logs are never deleted\"\n"
      "  allow_warning forbid-matches-nothing \"a guard for a DELETE route to come\"\n"
      "}\n"
      "role guest { allow_warning empty-role \"guests only sign in\" }\n");
  INFO(checked.diagnostics.render());
  CHECK(checked.diagnostics.empty());
}

TEST_CASE("fmt keeps allow_warning lines, after the block's other items") {
  const auto formatted = scopegate::format_source(
      "a.policy",
      "scope a:read {   GET /a\n allow_warning   shared-route \"why\" summary \"A\" }\n"
      "role r {allow_warning empty-role \"r\"}\n");
  REQUIRE(formatted.has_value());
  CHECK(*formatted ==
        "scope a:read {\n"
        "  summary \"A\"\n"
        "  allow_warning shared-route \"why\"\n"
        "\n"
        "  GET /a\n"
        "}\n"
        "\n"
        "role r {\n"
        "  allow_warning empty-role \"r\"\n"
        "}\n");
}
