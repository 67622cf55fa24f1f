// The scope reference (`scopegate docs`, dsl/scope_reference.hpp): the shipped
// policy's Markdown page equals its golden file, which holds everything the seed page
// lists in its order; everything specific comes from the policy; the HTML page is
// self-contained, escaped, and carries the access matrix.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/scope_reference.hpp"
#include "test_files.hpp"

namespace {

namespace fs = std::filesystem;
using scopegate::ReferenceFormat;
using scopegate::testing::contains;
using scopegate::testing::count_of;
using scopegate::testing::read_file;

const fs::path source_dir = SCOPEGATE_SOURCE_DIR;
const fs::path golden_md = source_dir / "tests" / "dsl" / "golden" / "api-key-scopes.md";

std::string reference_of(std::string_view policy_text, ReferenceFormat format) {
  auto policy = scopegate::compile_source("test.policy", policy_text);
  if (!policy) FAIL(policy.error().render());
  return scopegate::scope_reference(*policy, format);
}

std::string markdown_of(std::string_view policy_text) {
  return reference_of(policy_text, ReferenceFormat::markdown);
}

std::string html_of(std::string_view policy_text) {
  return reference_of(policy_text, ReferenceFormat::html);
}

}  // namespace

TEST_CASE("the Markdown reference of the shipped policy equals the golden file") {
  // To update after a policy change: build/scopegate docs > tests/dsl/golden/api-key-scopes.md
  auto policy = scopegate::compile_files({source_dir / "policies"});
  if (!policy) FAIL(policy.error().render());
  CHECK(scopegate::scope_reference(*policy, ReferenceFormat::markdown) == read_file(golden_md));
}

TEST_CASE("the golden scope reference holds everything the seed page lists, in its order") {
  const std::string page = read_file(golden_md);
  REQUIRE_FALSE(page.empty());
  CHECK(page.rfind("# API Key Scopes\n\nScopes control what actions an API key can perform. Use "
                   "the principle of least privilege: grant only the scopes required for the "
                   "specific use case.\n",
                   0) == 0);
  // The seed page "API Key Scopes", item by item, in the order it lists them.
  const std::vector<std::string> in_order = {
      "## Available Scopes",
      "### sessions:read",
      "View session information.",
      "**Grants access to:**",
      "- `GET /api/v1/sessions` - List all sessions\n",
      "- `GET /api/v1/sessions/{id}` - Get session details\n",
      "**Use cases:**",
      "- Monitoring active sessions\n",
      "- Audit and compliance reporting\n",
      "- Dashboard integrations\n",
      "### sessions:write",
      "Create, modify, and delete sessions.",
      "- `POST /api/v1/sessions` - Start a new session\n",
      "- `POST /api/v1/sessions/{id}/stop` - Stop a session\n",
      "- `POST /api/v1/sessions/{id}/extend` - Extend session duration\n",
      "- CI/CD pipelines that need temporary IP access\n",
      "- Automated session management scripts\n",
      "- Integration tests\n",
      "**Note:** sessions:write does not include sessions:read. To both read and write "
      "sessions, grant both scopes.\n",
      "### resources:read",
      "View resource information.",
      "- `GET /api/v1/resources` - List all resources\n",
      "- `GET /api/v1/resources/{id}` - Get resource details\n",
      "- Inventory management\n",
      "- Resource discovery for automation\n",
      "- Integration with asset management systems\n",
      "### audit:read",
      "View audit logs.",
      "- `GET /api/v1/audit-logs` - List audit logs (with pagination and filtering)",
      "- Security information and event management (SIEM) integration\n",
      "- Compliance reporting\n",
      "- Security audits\n",
      "## Endpoint Protection",
      "Not all endpoints support API key authentication.",
      "Currently unsupported endpoints:",
      "- User management (`users:manage`): `GET /api/v1/users`, `POST /api/v1/users`, `GET "
      "/api/v1/users/{id}`, `PATCH /api/v1/users/{id}`, `DELETE /api/v1/users/{id}`, `POST "
      "/api/v1/users/{id}/reset-mfa`\n",
      "- Role management (`roles:manage`): `GET /api/v1/roles`, `POST /api/v1/roles`, `GET "
      "/api/v1/roles/{id}`, `PATCH /api/v1/roles/{id}`, `DELETE /api/v1/roles/{id}`, `POST "
      "/api/v1/roles/{id}/resources/{resourceId}`, `DELETE "
      "/api/v1/roles/{id}/resources/{resourceId}`, `POST /api/v1/roles/{id}/users/{userId}`, "
      "`DELETE /api/v1/roles/{id}/users/{userId}`\n",
      "- Credential management (`credentials:manage`): `GET /api/v1/credentials`, `GET "
      "/api/v1/credentials/{id}`, `POST /api/v1/credentials`, `DELETE "
      "/api/v1/credentials/{id}`\n",
      "- Organization settings (`organization:manage`): `GET /api/v1/organization`, `GET "
      "/api/v1/organization/settings`, `PATCH /api/v1/organization/settings`\n",
      "- Change one's own password (`account:manage`): `POST /api/v1/auth/change-password`\n",
      "- MFA endpoints (`mfa:manage`): `POST /api/v1/mfa/setup`",
      "- Static IP rules (`static-ip-rules:manage`): `GET /api/v1/static-ip-rules`, `GET "
      "/api/v1/static-ip-rules/{id}`, `POST /api/v1/static-ip-rules`, `DELETE "
      "/api/v1/static-ip-rules/{id}`\n",
      "These endpoints require user authentication via `Authorization: Bearer` tokens.",
      "## Scope Validation",
      "API key does not have required scope: sessions:read",
      "## Future Scopes",
      "Additional scopes may be added in future releases:",
      "- `resources:write` - Create and modify resources\n",
      "- `users:read` - View user information\n",
      "- `roles:read` - View roles\n",
      "- `credentials:read` - View credentials (without secrets)\n",
  };
  std::size_t at = 0;
  for (const std::string& item : in_order) {
    INFO(item);
    const std::size_t found = page.find(item, at);
    REQUIRE(found != std::string::npos);
    at = found + item.size();
  }
  // Each route is listed once among the key scopes (user scopes are listed apart).
  CHECK(count_of(page, "`GET /api/v1/sessions`") == 1);
  CHECK(count_of(page, "### ") == 4);
}

TEST_CASE("the reference is generic: another policy gives its own names, none of the shipped") {
  const std::string page = markdown_of(R"(scope orders:read {
  summary "Read *orders* and <carts>"
  use_case "Reporting_tool"
  note "Pairs with orders:write"
  GET /orders "List orders"
  GET /orders/{id} "One order" when request.param.id != "draft"
}
scope orders:admin { implies orders:read }
future scope refunds:write { summary "Issue refunds" }
user scope billing:manage { summary "Billing" * /billing/** "Billing area" }
public { GET /status "Status" }
forbid DELETE /orders/** { message "Orders are kept" }
)");
  CHECK(contains(page, "### orders:read\n\nRead \\*orders\\* and \\<carts\\>\n"));
  CHECK(contains(page, "- `GET /orders` - List orders\n"));
  CHECK(contains(page,
                 "- `GET /orders/{id}` - One order; only when `request.param.id != \"draft\"`\n"));
  CHECK(contains(page, "- Reporting\\_tool\n"));
  CHECK(contains(page, "**Note:** Pairs with orders:write\n"));
  CHECK(contains(page, "Also grants everything `orders:read` grants."));
  CHECK(contains(page, "- Billing (`billing:manage`): `* /billing/**`\n"));
  CHECK(contains(page, "- `GET /status` - Status\n"));
  CHECK(contains(page, "- `DELETE /orders/**`: Orders are kept\n"));
  CHECK(contains(page, "- `refunds:write` - Issue refunds\n"));
  for (const char* shipped : {"sessions", "audit", "/api/v1", "EntryGuard", "entryguard"}) {
    CHECK_FALSE(contains(page, shipped));
  }
}

TEST_CASE("the HTML reference is one self-contained, escaped page with the access matrix") {
  const std::string page = html_of(R"(scope a:read {
  summary "Read <b>A</b> & \"more\""
  GET /a "<script>alert('x')</script>"
  GET /c when request.query.n <= 5
}
user scope u:manage { * /u/** "User area" }
public { GET /p "Open" }
authenticated { GET /me "Me" }
)");
  CHECK(page.rfind("<!DOCTYPE html>\n", 0) == 0);
  CHECK(contains(page, "<style>"));
  CHECK_FALSE(contains(page, "<script"));
  CHECK_FALSE(contains(page, "<link"));
  CHECK_FALSE(contains(page, "src="));
  CHECK_FALSE(contains(page, "http"));
  CHECK(contains(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  CHECK(contains(page, "Read &lt;b&gt;A&lt;/b&gt; &amp; &quot;more&quot;"));
  // The matrix: one row per endpoint, one column per key and user scope.
  CHECK(contains(page, "<table class=\"matrix\">"));
  CHECK(count_of(page, "<tr class=") == 5);
  CHECK(contains(page, "<th class=\"scope\" title=\"API key scope\">a:read</th>"));
  CHECK(contains(page, "<th class=\"scope user-scope\""));
  CHECK(contains(page, "<tr class=\"user-only\"><td><code>* /u/**</code>"));
  CHECK(contains(page, "<td class=\"access\">user only (Bearer token)</td>"));
  CHECK(contains(page, "<tr class=\"public\"><td><code>GET /p</code>"));
  CHECK(contains(page, "<tr class=\"authenticated\"><td><code>GET /me</code>"));
  CHECK(contains(page, "<td class=\"grant\">&#10003;</td>"));
  CHECK(contains(page, "<td class=\"conditional\" title=\"only when request.query.n &lt;= 5\">"));
}

TEST_CASE(
    "the HTML reference gives every scope its own id, also when names differ only in case or "
    "punctuation") {
  const std::string page = html_of(R"(scope a:b { GET /one "One" }
scope A.b { GET /two "Two" }
scope "User.Read.All" { implies a:b A.b GET /three "Three" }
)");
  CHECK(count_of(page, "id=\"scope-a-b\"") == 1);
  CHECK(count_of(page, "id=\"scope-a-b-2\"") == 1);
  CHECK(contains(page, "id=\"scope-user-read-all\""));
  // Each link reaches the scope it names.
  CHECK(contains(page, "<a href=\"#scope-a-b\"><code>a:b</code></a>"));
  CHECK(contains(page, "<a href=\"#scope-a-b-2\"><code>A.b</code></a>"));
}
