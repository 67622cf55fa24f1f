// diff_policies (`scopegate diff`): the semantic difference between two policies, by
// enumeration over endpoints x scopes and roles. Text-only changes compare identical;
// each kind of access change shows up where a reviewer looks for it.
#include <catch2/catch.hpp>

#include <string>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/diff.hpp"

namespace {

using scopegate::Access;
using scopegate::PolicyDiff;
using scopegate::ScopeKind;

const char* const base = R"(
scope sessions:read {
  summary "View sessions"
  GET /api/v1/sessions       "List"
  GET /api/v1/sessions/{id}  "Get"
}
scope sessions:write {
  POST /api/v1/sessions/{id}/stop
}
scope audit:read {
  GET /api/v1/audit-logs when request.query.size <= 100
}
user scope users:manage { * /api/v1/users/** }
public { POST /api/v1/auth/login }
authenticated { GET /api/v1/auth/me }
role admin { scopes * }
role member { scopes sessions:read }
forbid DELETE /api/v1/** { message "never" }
)";

scopegate::Policy compile(const std::string& text) {
  auto policy = scopegate::compile_source("diff.policy", text);
  if (!policy) FAIL(policy.error().render());
  return std::move(*policy);
}

PolicyDiff diff(const std::string& before, const std::string& after) {
  return scopegate::diff_policies(compile(before), compile(after));
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

const scopegate::SubjectDiff* subject(const std::vector<scopegate::SubjectDiff>& list,
                                      const std::string& name) {
  for (const auto& s : list) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("diff of a policy with itself is identical") {
  const PolicyDiff d = diff(base, base);
  CHECK(d.identical());
  CHECK(scopegate::render_diff(d) == "no difference in access\n");
}

TEST_CASE("diff ignores layout, comments, descriptions, metadata order and condition spelling") {
  std::string other = replaced(base, "\"List\"", "\"All sessions\"  # renamed");
  other = replaced(other, "summary \"View sessions\"", "note \"n\" summary \"Read them\"");
  other = replaced(other, "request.query.size <= 100", "(request.query.size<=100)");
  other = replaced(other, "role member { scopes sessions:read }",
                   "role member {\n  scopes sessions:read\n}");
  const PolicyDiff d = diff(base, other);
  CHECK(d.identical());
}

TEST_CASE("diff shows a new route as an endpoint added and gained by its scope and roles") {
  const PolicyDiff d =
      diff(base, replaced(base, "POST /api/v1/sessions/{id}/stop",
                          "POST /api/v1/sessions/{id}/stop\n  POST /api/v1/sessions"));
  CHECK_FALSE(d.identical());
  REQUIRE(d.endpoints_added.size() == 1);
  CHECK(scopegate::to_string(d.endpoints_added[0].endpoint) == "POST /api/v1/sessions");
  CHECK(d.endpoints_added[0].access == Access::scoped);
  const auto* write = subject(d.scopes, "sessions:write");
  REQUIRE(write != nullptr);
  REQUIRE(write->gained.size() == 1);
  CHECK(write->gained[0].conditions.empty());
  const auto* admin = subject(d.roles, "admin");
  REQUIRE(admin != nullptr);
  CHECK(admin->gained.size() == 1);
  CHECK(subject(d.roles, "member") == nullptr);
  CHECK(subject(d.scopes, "sessions:read") == nullptr);
}

TEST_CASE("diff shows what a scope gains through a new implies, and its holders' roles") {
  const PolicyDiff d = diff(base, replaced(base, "summary \"View sessions\"",
                                           "summary \"View sessions\" implies audit:read"));
  CHECK(d.endpoints_added.empty());
  const auto* read = subject(d.scopes, "sessions:read");
  REQUIRE(read != nullptr);
  REQUIRE(read->gained.size() == 1);
  CHECK(scopegate::to_string(read->gained[0].endpoint) == "GET /api/v1/audit-logs");
  CHECK(read->gained[0].conditions == std::vector<std::string>{"request.query.size <= 100"});
  const auto* member = subject(d.roles, "member");
  REQUIRE(member != nullptr);
  CHECK(member->gained.size() == 1);
  CHECK(subject(d.roles, "admin") == nullptr);  // admin held audit:read already
}

TEST_CASE("diff shows a removed scope and everything its holders lose") {
  const PolicyDiff d = diff(
      base, replaced(base, "scope sessions:write {\n  POST /api/v1/sessions/{id}/stop\n}", ""));
  REQUIRE(d.scopes_removed.size() == 1);
  CHECK(d.scopes_removed[0].name == "sessions:write");
  REQUIRE(d.endpoints_removed.size() == 1);
  const auto* write = subject(d.scopes, "sessions:write");
  REQUIRE(write != nullptr);
  CHECK(write->lost.size() == 1);
  CHECK(subject(d.roles, "admin")->lost.size() == 1);
}

TEST_CASE("diff shows a plain scope turned user scope: keys lose it, roles keep it") {
  const PolicyDiff d =
      diff(base, replaced(base, "scope sessions:write", "user scope sessions:write"));
  REQUIRE(d.scope_kinds_changed.size() == 1);
  CHECK(d.scope_kinds_changed[0].old_kind == ScopeKind::plain);
  CHECK(d.scope_kinds_changed[0].new_kind == ScopeKind::user);
  CHECK(d.roles.empty());
  // A user scope reaches what it adds to a role: the same endpoint, so no reach change.
  CHECK(d.scopes.empty());
  CHECK_FALSE(d.identical());
}

TEST_CASE("diff shows a wildcard route granting endpoints defined elsewhere") {
  const PolicyDiff d = diff(
      base, replaced(base, "scope audit:read {", "scope audit:read {\n  GET /api/v1/sessions/**"));
  const auto* audit = subject(d.scopes, "audit:read");
  REQUIRE(audit != nullptr);
  // The new `**` endpoint itself, and the two GET session endpoints it covers.
  CHECK(audit->gained.size() == 3);
  CHECK(d.endpoints_added.size() == 1);
}

TEST_CASE("diff reports conditions added, removed and changed on a grant") {
  SECTION("changed") {
    const PolicyDiff d = diff(base, replaced(base, "size <= 100", "size <= 50"));
    REQUIRE(d.conditions.size() == 1);
    CHECK(d.conditions[0].scope == "audit:read");
    CHECK(d.conditions[0].old_conditions == std::vector<std::string>{"request.query.size <= 100"});
    CHECK(d.conditions[0].new_conditions == std::vector<std::string>{"request.query.size <= 50"});
    const auto* audit = subject(d.scopes, "audit:read");
    REQUIRE(audit != nullptr);
    CHECK(audit->changed.size() == 1);
    CHECK_FALSE(d.identical());
  }
  SECTION("removed") {
    const PolicyDiff d = diff(base, replaced(base, " when request.query.size <= 100", ""));
    REQUIRE(d.conditions.size() == 1);
    CHECK(d.conditions[0].new_conditions.empty());
  }
  SECTION("added by a scope condition") {
    const PolicyDiff d =
        diff(base, replaced(base, "scope sessions:write {",
                            "scope sessions:write when principal.kind == \"user\" {"));
    REQUIRE(d.conditions.size() == 1);
    CHECK(d.conditions[0].old_conditions.empty());
    CHECK(d.conditions[0].new_conditions == std::vector<std::string>{"principal.kind == \"user\""});
    CHECK(scopegate::render_diff(d).find("+ POST /api/v1/sessions/{id}/stop by sessions:write") !=
          std::string::npos);
  }
}

TEST_CASE("diff reports forbid rules added and removed, and message changes apart") {
  const std::string added = std::string(base) +
                            "forbid * /api/v1/** when principal.allowed_cidrs != [] and not "
                            "request.ip in principal.allowed_cidrs { }\n";
  PolicyDiff d = diff(base, added);
  REQUIRE(d.forbids_added.size() == 1);
  CHECK(d.forbids_added[0].condition ==
        "principal.allowed_cidrs != [] and not request.ip in principal.allowed_cidrs");
  CHECK(d.forbids_added[0].message == "Forbidden by policy");
  CHECK_FALSE(d.identical());
  d = diff(added, base);
  CHECK(d.forbids_removed.size() == 1);
  d = diff(base, replaced(base, "message \"never\"", "message \"not ever\""));
  REQUIRE(d.forbid_messages_changed.size() == 1);
  CHECK(d.forbid_messages_changed[0].old_message == "never");
  CHECK(d.identical());
}

TEST_CASE("diff reports an endpoint moved between public, authenticated and a scope") {
  const PolicyDiff d =
      diff(base, replaced(replaced(base, "public { POST /api/v1/auth/login }", "public { }"),
                          "authenticated { GET /api/v1/auth/me }",
                          "authenticated { GET /api/v1/auth/me POST /api/v1/auth/login }"));
  REQUIRE(d.endpoints_changed.size() == 1);
  CHECK(d.endpoints_changed[0].old_access == Access::public_);
  CHECK(d.endpoints_changed[0].new_access == Access::authenticated);
}

TEST_CASE("diff reports roles added, removed and changed membership") {
  PolicyDiff d = diff(base, replaced(base, "role member { scopes sessions:read }",
                                     "role member { scopes sessions:read sessions:write }\nrole "
                                     "auditor { scopes audit:read }"));
  CHECK(d.roles_added == std::vector<std::string>{"auditor"});
  const auto* member = subject(d.roles, "member");
  REQUIRE(member != nullptr);
  CHECK(member->gained.size() == 1);
  const std::string text = scopegate::render_diff(d);
  CHECK(text.find("role member:\n  + POST /api/v1/sessions/{id}/stop\n") != std::string::npos);
  CHECK(text.find("  + role auditor\n") != std::string::npos);
  CHECK(text.ends_with("3 differences in access\n"));
}

TEST_CASE("diff of the shipped policy with itself, loaded twice, is identical") {
  const auto dir = std::filesystem::path(SCOPEGATE_SOURCE_DIR) / "policies";
  auto a = scopegate::compile_files({dir});
  auto b = scopegate::compile_files({dir});
  if (!a) FAIL(a.error().render());
  REQUIRE(b);
  CHECK(scopegate::diff_policies(*a, *b).identical());
}
