// The access matrix and role list of `scopegate docs` (dsl/scope_reference.hpp): grants
// through `implies` are marked as implied, forbid rules mark the kinds of caller they
// refuse an endpoint to, and every role is listed with its scopes.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/scope_reference.hpp"
#include "test_files.hpp"

namespace {

using scopegate::ReferenceFormat;
using scopegate::testing::contains;
using scopegate::testing::count_of;

std::string matrix_reference_of(std::string_view policy_text, ReferenceFormat format) {
  auto policy = scopegate::compile_source("test.policy", policy_text);
  if (!policy) FAIL(policy.error().render());
  return scopegate::scope_reference(*policy, format);
}

// The matrix row of `route` ("GET /a"), from `<tr` to `</tr>`.
std::string row_of(const std::string& page, const std::string& route) {
  const auto cell = page.find("<td><code>" + route + "</code>");
  REQUIRE(cell != std::string::npos);
  const auto start = page.rfind("<tr", cell);
  return page.substr(start, page.find("</tr>", cell) - start);
}

const std::string policy_text = R"(scope a:read {
  GET /a "Read A"
  * /b   "Any B"
}
scope a:write {
  implies a:read
  POST /a "Write A"
}
scope a:admin {
  implies a:write
  DELETE /a "Delete A"
}
user scope u:manage {
  GET /u "Users"
}
public {
  GET /open "Open"
}
role reader { scopes a:read }
role admin {
  summary "Runs the place"
  scopes a:admin u:manage
}
role everyone { scopes * }
forbid DELETE /a when principal.kind == "user" { message "users never delete" }
forbid * /open when principal.kind != "api_key" and request.header.x-env == "test" {
  message "not in test"
}
forbid GET /u when principal.kind == "api_key" { message "never a key" }
forbid PATCH /b when principal.kind == "user" { message "users never patch" }
)";

}  // namespace

TEST_CASE("the access matrix marks grants through implies as implied, with the granting scope") {
  const std::string page = matrix_reference_of(policy_text, ReferenceFormat::html);
  // GET /a: a:read grants it; a:write and a:admin only through implies (a:admin by way of
  // a:write, but the grant is a:read's).
  CHECK(row_of(page, "GET /a") ==
        "<tr class=\"key\"><td><code>GET /a</code><br><span class=\"description\">Read "
        "A</span></td><td class=\"access\">API key with a scope</td><td></td>"
        "<td class=\"grant\">&#10003;</td>"
        "<td class=\"implied\" title=\"through implies: a:read\">&#10003; implied</td>"
        "<td class=\"implied\" title=\"through implies: a:read\">&#10003; implied</td>"
        "<td></td>");
  CHECK(count_of(row_of(page, "POST /a"), "class=\"implied\"") == 1);
  CHECK(count_of(row_of(page, "DELETE /a"), "class=\"implied\"") == 0);
  CHECK(contains(page, "&#10003; implied: a scope it implies grants it"));
}

TEST_CASE("the access matrix names the callers a forbid rule refuses an endpoint to") {
  const std::string page = matrix_reference_of(policy_text, ReferenceFormat::html);
  // Always refused to users: the condition is principal.kind == "user" alone.
  CHECK(contains(row_of(page, "DELETE /a"),
                 "<td class=\"refused\" title=\"forbid DELETE /a when principal.kind == "
                 "&quot;user&quot;: users never delete\">&#9940; users</td>"));
  // != "api_key" leaves users and anonymous callers (a public route), under a condition.
  CHECK(contains(row_of(page, "GET /open"), "&#9940; users*, anonymous callers*</td>"));
  // A rule against keys on a route only users are granted refuses nobody who gets there.
  CHECK_FALSE(contains(row_of(page, "GET /u"), "class=\"refused\""));
  CHECK_FALSE(contains(row_of(page, "GET /a"), "class=\"refused\""));
  CHECK_FALSE(contains(row_of(page, "POST /a"), "class=\"refused\""));
  // A rule for one method of a `*` endpoint says which.
  CHECK(contains(row_of(page, "* /b"), "&#9940; users (PATCH only)</td>"));
}

TEST_CASE("the reference lists every role with its scopes, and those it reaches through implies") {
  const std::string roles =
      "- `reader`: `a:read`\n"
      "- `admin` - Runs the place: `a:admin`, `u:manage`; through implies: `a:read`, `a:write`\n"
      "- `everyone`: every scope\n";
  CHECK(contains(matrix_reference_of(policy_text, ReferenceFormat::markdown),
                 "\n## Roles\n\nA signed-in user holds the scopes of their role:\n\n" + roles));
  const std::string page = matrix_reference_of(policy_text, ReferenceFormat::html);
  CHECK(contains(page,
                 "<li><code>admin</code> - Runs the place: <code>a:admin</code>, "
                 "<code>u:manage</code>; through implies: <code>a:read</code>, "
                 "<code>a:write</code></li>\n"));
}
