// The shipped policy (policies/*.policy, compiled by the dsl) against the seed page,
// reference/api-key-scopes.txt: every key-scope set times every key route, the
// endpoints keys may never call, roles, public and authenticated routes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "scopegate/dsl.hpp"
#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;

namespace {

const std::filesystem::path policy_dir = std::filesystem::path(SCOPEGATE_SOURCE_DIR) / "policies";

const Policy& shipped() {
  static const Policy policy = [] {
    auto compiled = compile_files({policy_dir});
    if (!compiled) FAIL("policies/ does not compile:\n" << compiled.error().render());
    return std::move(compiled).value();
  }();
  return policy;
}

constexpr const char* session_id = "3f2a8c1e-7d4b-4e1a-9c6f-2b5d8e0a1c3f";
constexpr const char* resource_id = "9b1d7e2a-4c3f-4a8e-b6d5-1e0f2a3b4c5d";

struct KeyRoute {
  const char* method;
  std::string path;           // concrete
  const char* path_template;  // the endpoint it must resolve to
  const char* scope;          // the one scope that grants it to a key
  const char* description;    // as on the seed page
};

const std::vector<KeyRoute>& key_routes() {
  static const std::vector<KeyRoute> routes = {
      {"GET", "/api/v1/sessions", "/api/v1/sessions", "sessions:read", "List all sessions"},
      {"GET", std::string("/api/v1/sessions/") + session_id, "/api/v1/sessions/{id}",
       "sessions:read", "Get session details"},
      {"POST", "/api/v1/sessions", "/api/v1/sessions", "sessions:write", "Start a new session"},
      {"POST", std::string("/api/v1/sessions/") + session_id + "/stop",
       "/api/v1/sessions/{id}/stop", "sessions:write", "Stop a session"},
      {"POST", std::string("/api/v1/sessions/") + session_id + "/extend",
       "/api/v1/sessions/{id}/extend", "sessions:write", "Extend session duration"},
      {"GET", "/api/v1/resources", "/api/v1/resources", "resources:read", "List all resources"},
      {"GET", std::string("/api/v1/resources/") + resource_id, "/api/v1/resources/{id}",
       "resources:read", "Get resource details"},
      {"GET", "/api/v1/audit-logs", "/api/v1/audit-logs", "audit:read",
       "List audit logs (with pagination and filtering)"},
  };
  return routes;
}

const std::vector<std::string> plain_scopes = {"sessions:read", "sessions:write", "resources:read",
                                               "audit:read"};
const std::vector<std::string> future_scopes = {"resources:write", "users:read", "roles:read",
                                                "credentials:read"};

// The 1-based line of policies/<file> holding `needle`, or 0.
std::uint32_t line_of(const std::string& file, const std::string& needle) {
  std::ifstream in(policy_dir / file);
  std::string line;
  for (std::uint32_t number = 1; std::getline(in, line); ++number) {
    if (line.find(needle) != std::string::npos) return number;
  }
  return 0;
}

std::string join(const std::vector<std::string>& names) {
  std::string out = "{";
  for (const std::string& n : names) out += (out.size() > 1 ? " " : "") + n;
  return out + "}";
}

}  // namespace

TEST_CASE("shipped: policies compile without diagnostics") {
  auto compiled = compile_files({policy_dir});
  INFO((compiled ? std::string() : compiled.error().render()));
  REQUIRE(compiled.has_value());
}

TEST_CASE("shipped: compiled from the repo root, rules name policies/ files as written") {
  // ctest runs every test from the repo root; make that true when run by hand too.
  std::filesystem::current_path(SCOPEGATE_SOURCE_DIR);
  auto compiled = compile_files({"policies"});
  INFO((compiled ? std::string() : compiled.error().render()));
  REQUIRE(compiled.has_value());
  const Policy& policy = *compiled;
  const Decision d = policy.decide(policy.principal_for_key({"sessions:write"}), "POST",
                                   "/api/v1/sessions/42/stop");
  INFO(describe(d));
  REQUIRE(d.allowed());
  REQUIRE(d.rule() != nullptr);
  const std::uint32_t line = line_of("api.policy", "POST /api/v1/sessions/{id}/stop");
  CHECK(to_string(*d.rule()) == "policies/api.policy:" + std::to_string(line));
  CHECK(policy.endpoints().size() == shipped().endpoints().size());
}

TEST_CASE("shipped: the scopes, their kinds and documentation match the seed page") {
  const Policy& policy = shipped();
  struct Doc {
    const char* name;
    const char* summary;
    std::vector<std::string> use_cases;
  };
  const std::vector<Doc> docs = {
      {"sessions:read",
       "View session information.",
       {"Monitoring active sessions", "Audit and compliance reporting", "Dashboard integrations"}},
      {"sessions:write",
       "Create, modify, and delete sessions.",
       {"CI/CD pipelines that need temporary IP access", "Automated session management scripts",
        "Integration tests"}},
      {"resources:read",
       "View resource information.",
       {"Inventory management", "Resource discovery for automation",
        "Integration with asset management systems"}},
      {"audit:read",
       "View audit logs.",
       {"Security information and event management (SIEM) integration", "Compliance reporting",
        "Security audits"}},
  };
  for (const Doc& doc : docs) {
    INFO(doc.name);
    const auto id = policy.find_scope(doc.name);
    REQUIRE(id.has_value());
    const Scope& s = policy.scopes()[*id];
    CHECK(s.kind == ScopeKind::plain);
    CHECK(s.summary == doc.summary);
    CHECK(to_vector(s.use_cases) == doc.use_cases);
    CHECK(s.implies.empty());
    CHECK(s.closure.size() == 1);
  }
  const auto write = policy.find_scope("sessions:write");
  REQUIRE(write);
  CHECK(to_vector(policy.scopes()[*write].notes) ==
        std::vector<std::string>{"sessions:write does not include sessions:read. To both read "
                                 "and write sessions, grant both scopes."});

  const std::vector<std::pair<std::string, std::string>> future = {
      {"resources:write", "Create and modify resources"},
      {"users:read", "View user information"},
      {"roles:read", "View roles"},
      {"credentials:read", "View credentials (without secrets)"},
  };
  for (const auto& [name, summary] : future) {
    INFO(name);
    const auto id = policy.find_scope(name);
    REQUIRE(id.has_value());
    CHECK(policy.scopes()[*id].kind == ScopeKind::future);
    CHECK(policy.scopes()[*id].summary == summary);
  }

  std::set<std::string> plain;
  std::set<std::string> futures;
  std::set<std::string> users;
  for (const Scope& s : policy.scopes()) {
    INFO(s.name);
    CHECK(is_valid_scope_name(s.name));
    if (s.kind == ScopeKind::plain) plain.emplace(s.name);
    if (s.kind == ScopeKind::future) futures.emplace(s.name);
    if (s.kind == ScopeKind::user) {
      users.emplace(s.name);
      CHECK_FALSE(s.summary.empty());
    }
  }
  CHECK(plain == std::set<std::string>(plain_scopes.begin(), plain_scopes.end()));
  CHECK(futures == std::set<std::string>(future_scopes.begin(), future_scopes.end()));
  for (const char* name : {"api-keys:manage", "resources:manage", "sessions:admin", "users:manage",
                           "roles:manage", "credentials:manage", "organization:manage",
                           "account:manage", "mfa:manage", "static-ip-rules:manage"}) {
    INFO(name);
    CHECK(users.count(name) == 1);
  }
}

TEST_CASE("shipped: every key-scope set against every key route") {
  const Policy& policy = shipped();
  std::vector<std::vector<std::string>> sets = {{}};
  for (const std::string& s : plain_scopes) sets.push_back({s});
  sets.push_back({"sessions:read", "sessions:write"});
  sets.push_back({"sessions:read", "resources:read"});
  sets.push_back({"sessions:read", "sessions:write", "resources:read"});
  sets.push_back(plain_scopes);
  sets.push_back(future_scopes);

  std::size_t rows = 0;
  for (const auto& set : sets) {
    const Principal key = policy.principal_for_key(set);
    const std::set<std::string> held(set.begin(), set.end());
    for (const KeyRoute& r : key_routes()) {
      ++rows;
      const bool expect_allowed = held.count(r.scope) != 0;
      INFO("key " << join(set) << ": " << r.method << " " << r.path << " expects "
                  << (expect_allowed ? "allowed" : "missing_scope"));
      const Decision d = policy.decide(key, r.method, r.path);
      INFO(describe(d));
      REQUIRE(d.endpoint() != nullptr);
      CHECK(d.endpoint()->path_template == r.path_template);
      CHECK(d.endpoint()->description == r.description);
      CHECK(to_vector(d.required_scopes()) == std::vector<std::string>{r.scope});
      if (expect_allowed) {
        CHECK(d.allowed());
        CHECK(d.reason() == Reason::allowed);
        CHECK(d.status() == 200);
        CHECK(d.granted_by() == std::optional<std::string_view>(r.scope));
      } else {
        CHECK_FALSE(d.allowed());
        CHECK(d.reason() == Reason::missing_scope);
        CHECK(d.status() == 403);
        CHECK(d.message() == std::string("API key does not have required scope: ") + r.scope);
      }
      const std::string_view path(r.path);
      if (path.find(session_id) != std::string_view::npos) CHECK(d.param("id") == session_id);
      if (path.find(resource_id) != std::string_view::npos) CHECK(d.param("id") == resource_id);
    }
  }
  CHECK(rows == sets.size() * key_routes().size());
}

TEST_CASE("shipped: sessions:write alone is refused GET /api/v1/sessions with the exact message") {
  const Policy& policy = shipped();
  const Decision d =
      policy.decide(policy.principal_for_key({"sessions:write"}), "GET", "/api/v1/sessions");
  INFO(describe(d));
  CHECK_FALSE(d.allowed());
  CHECK(d.reason() == Reason::missing_scope);
  CHECK(d.reason_code() == "missing_scope");
  CHECK(d.status() == 403);
  CHECK(d.message() == "API key does not have required scope: sessions:read");
}

TEST_CASE("shipped: the deciding rule points at the route line in its policy file") {
  const Policy& policy = shipped();
  const Principal key = policy.principal_for_key({"sessions:read", "audit:read"});
  struct Row {
    const char* path;
    const char* file;
    const char* needle;
  };
  const std::vector<Row> rows = {
      {"/api/v1/sessions", "api.policy", "GET /api/v1/sessions  "},
      {"/api/v1/sessions/42", "api.policy", "GET /api/v1/sessions/{id}"},
      {"/api/v1/audit-logs", "api.policy", "GET /api/v1/audit-logs"},
  };
  for (const Row& row : rows) {
    INFO("GET " << row.path);
    const Decision d = policy.decide(key, "GET", row.path);
    REQUIRE(d.allowed());
    REQUIRE(d.rule() != nullptr);
    const std::uint32_t expected_line = line_of(row.file, row.needle);
    REQUIRE(expected_line != 0);
    CHECK(d.rule()->line == expected_line);
    CHECK_THAT(std::string(d.rule()->file), Catch::EndsWith(row.file));
  }
}

TEST_CASE("shipped: no key reaches a user endpoint, admins do, members do not") {
  const Policy& policy = shipped();
  std::vector<std::string> every_name;
  for (const Scope& s : policy.scopes()) every_name.emplace_back(s.name);
  const Principal all_plain = policy.principal_for_key(plain_scopes);
  const Principal all_names = policy.principal_for_key(every_name);
  const Principal admin = policy.principal_for_role("admin");
  const Principal member = policy.principal_for_role("member");
  const Principal anonymous;

  struct Row {
    const char* method;
    const char* path;
    const char* path_template;
  };
  const std::vector<Row> rows = {
      {"GET", "/api/v1/api-keys", "/api/v1/api-keys"},
      {"POST", "/api/v1/api-keys", "/api/v1/api-keys"},
      {"DELETE", "/api/v1/api-keys/5e6f", "/api/v1/api-keys/{id}"},
      {"GET", "/api/v1/users", "/api/v1/users"},
      {"POST", "/api/v1/users", "/api/v1/users"},
      {"GET", "/api/v1/users/42", "/api/v1/users/{id}"},
      {"PATCH", "/api/v1/users/42", "/api/v1/users/{id}"},
      {"DELETE", "/api/v1/users/42", "/api/v1/users/{id}"},
      {"GET", "/api/v1/roles", "/api/v1/roles"},
      {"POST", "/api/v1/roles", "/api/v1/roles"},
      {"GET", "/api/v1/roles/admin", "/api/v1/roles/{id}"},
      {"PATCH", "/api/v1/roles/admin", "/api/v1/roles/{id}"},
      {"DELETE", "/api/v1/roles/admin", "/api/v1/roles/{id}"},
      {"POST", "/api/v1/roles/3/resources/9", "/api/v1/roles/{id}/resources/{resourceId}"},
      {"DELETE", "/api/v1/roles/3/resources/9", "/api/v1/roles/{id}/resources/{resourceId}"},
      {"POST", "/api/v1/roles/3/users/7", "/api/v1/roles/{id}/users/{userId}"},
      {"DELETE", "/api/v1/roles/3/users/7", "/api/v1/roles/{id}/users/{userId}"},
      {"GET", "/api/v1/credentials", "/api/v1/credentials"},
      {"DELETE", "/api/v1/credentials/9", "/api/v1/credentials/{id}"},
      {"GET", "/api/v1/organization", "/api/v1/organization"},
      {"GET", "/api/v1/organization/settings", "/api/v1/organization/settings"},
      {"PATCH", "/api/v1/organization/settings", "/api/v1/organization/settings"},
      {"POST", "/api/v1/users/7/reset-mfa", "/api/v1/users/{id}/reset-mfa"},
      {"GET", "/api/v1/static-ip-rules", "/api/v1/static-ip-rules"},
      {"DELETE", "/api/v1/static-ip-rules/3", "/api/v1/static-ip-rules/{id}"},
      {"GET", "/api/v1/sessions/admin", "/api/v1/sessions/admin/**"},
      {"GET", "/api/v1/sessions/admin/all", "/api/v1/sessions/admin/**"},
      {"POST", "/api/v1/sessions/admin/x/stop", "/api/v1/sessions/admin/{id}/stop"},
      {"POST", "/api/v1/resources", "/api/v1/resources"},
      {"PATCH", "/api/v1/resources/77", "/api/v1/resources/{id}"},
      {"DELETE", "/api/v1/resources/77", "/api/v1/resources/{id}"},
      {"POST", "/api/v1/resources/77/verify", "/api/v1/resources/{id}/verify"},
  };
  for (const Row& row : rows) {
    INFO(row.method << " " << row.path);
    for (const Principal* key : {&all_plain, &all_names}) {
      const Decision d = policy.decide(*key, row.method, row.path);
      INFO("key " << join(key->scope_names()) << ": " << describe(d));
      CHECK(d.reason() == Reason::api_key_not_supported);
      CHECK(d.status() == 403);
      CHECK(d.message() == key_unsupported_message);
      REQUIRE(d.endpoint() != nullptr);
      CHECK(d.endpoint()->path_template == row.path_template);
      CHECK(d.endpoint()->access == Access::scoped);
    }
    const Decision a = policy.decide(admin, row.method, row.path);
    INFO("admin: " << describe(a));
    CHECK(a.allowed());
    const Decision m = policy.decide(member, row.method, row.path);
    INFO("member: " << describe(m));
    CHECK(m.reason() == Reason::missing_scope);
    CHECK(m.status() == 403);
    const Decision n = policy.decide(anonymous, row.method, row.path);
    INFO("anonymous: " << describe(n));
    CHECK(n.reason() == Reason::unauthenticated);
  }
}

TEST_CASE("shipped: every signed-in user manages their own MFA, and no key does") {
  const Policy& policy = shipped();
  const Principal all_plain = policy.principal_for_key(plain_scopes);
  const Principal member = policy.principal_for_role("member");
  const Principal admin = policy.principal_for_role("admin");
  const Principal anonymous;
  for (const char* path : {"/api/v1/mfa/setup", "/api/v1/mfa/setup/confirm", "/api/v1/mfa/disable",
                           "/api/v1/mfa/recovery-codes/regenerate"}) {
    INFO(path);
    CHECK(policy.decide(admin, "POST", path).allowed());
    CHECK(policy.decide(member, "POST", path).allowed());
    const Decision key = policy.decide(all_plain, "POST", path);
    CHECK(key.reason() == Reason::api_key_not_supported);
    CHECK(key.message() == key_unsupported_message);
    CHECK(policy.decide(anonymous, "POST", path).reason() == Reason::unauthenticated);
    CHECK(policy.decide(member, "GET", path).reason() == Reason::method_not_allowed);
  }
  // The second step of a sign-in is public, as the first is.
  CHECK(policy.decide(anonymous, "POST", "/api/v1/auth/verify-mfa").allowed());
}

TEST_CASE(
    "shipped: member manages sessions, their own password and their own MFA, admin holds "
    "everything") {
  const Policy& policy = shipped();
  const Principal admin = policy.principal_for_role("admin");
  const Principal member = policy.principal_for_role("member");
  for (const KeyRoute& r : key_routes()) {
    INFO(r.method << " " << r.path);
    const bool sessions = std::string_view(r.scope).rfind("sessions:", 0) == 0;
    const Decision m = policy.decide(member, r.method, r.path);
    INFO("member: " << describe(m));
    CHECK(m.allowed() == sessions);
    if (!sessions) CHECK(m.reason() == Reason::missing_scope);
    CHECK(policy.decide(admin, r.method, r.path).allowed());
  }
  const Role* admin_role = policy.find_role("admin");
  REQUIRE(admin_role != nullptr);
  CHECK(admin_role->all_scopes);
  CHECK(admin_role->closure.count() == policy.scopes().size());
  const Role* member_role = policy.find_role("member");
  REQUIRE(member_role != nullptr);
  CHECK(member_role->closure.count() ==
        4);  // sessions:read sessions:write account:manage mfa:manage
  CHECK(policy.principal_for_role("ghost").scopes().empty());
}

TEST_CASE("shipped: public and authenticated routes") {
  const Policy& policy = shipped();
  const Principal anonymous;
  const Principal no_scopes = policy.principal_for_key(std::vector<std::string>{});
  const Principal all_plain = policy.principal_for_key(plain_scopes);
  const Principal member = policy.principal_for_role("member");
  const Principal admin = policy.principal_for_role("admin");
  struct Row {
    const char* note;
    const Principal* principal;
    const char* method;
    const char* path;
    Reason reason;
    const char* description;
  };
  const std::vector<Row> rows = {
      {"anonymous logs in", &anonymous, "POST", "/api/v1/auth/login", Reason::allowed,
       "Sign in with organization, email and password"},
      {"a key may call login too", &no_scopes, "POST", "/api/v1/auth/login", Reason::allowed,
       "Sign in with organization, email and password"},
      {"anonymous liveness", &anonymous, "GET", "/healthz", Reason::allowed, "Liveness check"},
      {"anonymous profile is 401", &anonymous, "GET", "/api/v1/auth/me", Reason::unauthenticated,
       "The caller's profile"},
      {"key without scopes profile", &no_scopes, "GET", "/api/v1/auth/me", Reason::allowed,
       "The caller's profile"},
      {"key with scopes profile", &all_plain, "GET", "/api/v1/auth/me", Reason::allowed,
       "The caller's profile"},
      {"member profile", &member, "GET", "/api/v1/auth/me", Reason::allowed,
       "The caller's profile"},
      {"admin profile", &admin, "GET", "/api/v1/auth/me", Reason::allowed, "The caller's profile"},
      {"anonymous on a key route is 401", &anonymous, "GET", "/api/v1/sessions",
       Reason::unauthenticated, "List all sessions"},
      {"anonymous registers", &anonymous, "POST", "/api/v1/auth/register", Reason::allowed,
       "Create an organization and its first admin"},
      {"anonymous refreshes", &anonymous, "POST", "/api/v1/auth/refresh", Reason::allowed,
       "Exchange a refresh token for new tokens"},
      {"anonymous logs out", &anonymous, "POST", "/api/v1/auth/logout", Reason::allowed,
       "Revoke a refresh token"},
      {"anonymous forgot a password", &anonymous, "POST", "/api/v1/auth/forgot-password",
       Reason::allowed, "Ask for a password reset link"},
      {"anonymous resets a password", &anonymous, "POST", "/api/v1/auth/reset-password",
       Reason::allowed, "Set a new password with a reset link's token"},
      {"anonymous replaces an expired password", &anonymous, "POST",
       "/api/v1/auth/change-expired-password", Reason::allowed,
       "Replace an expired password and sign in"},
      {"member changes their password", &member, "POST", "/api/v1/auth/change-password",
       Reason::allowed, "Change the caller's password"},
      {"admin changes their password", &admin, "POST", "/api/v1/auth/change-password",
       Reason::allowed, "Change the caller's password"},
      {"a key may not change a password", &all_plain, "POST", "/api/v1/auth/change-password",
       Reason::api_key_not_supported, "Change the caller's password"},
      {"anonymous may not change a password", &anonymous, "POST", "/api/v1/auth/change-password",
       Reason::unauthenticated, "Change the caller's password"},
  };
  for (const Row& row : rows) {
    INFO(row.note << ": " << row.method << " " << row.path);
    const Decision d = policy.decide(*row.principal, row.method, row.path);
    INFO(describe(d));
    CHECK(d.reason() == row.reason);
    CHECK(d.status() == status_for(row.reason));
    REQUIRE(d.endpoint() != nullptr);
    CHECK(d.endpoint()->description == row.description);
  }
}

TEST_CASE("shipped: unknown routes, wrong methods and invalid paths") {
  const Policy& policy = shipped();
  const Principal key = policy.principal_for_key(plain_scopes);
  struct Row {
    const char* method;
    const char* path;
    Reason reason;
    std::vector<std::string> allow;
  };
  const std::vector<Row> rows = {
      {"GET", "/api/v1/nothing", Reason::no_route, {}},
      {"GET", "/api/v2/sessions", Reason::no_route, {}},
      {"GET", "/api/v1/sessions/1/2", Reason::no_route, {}},
      {"GET", "/api/v1/audit-logs/1", Reason::no_route, {}},
      {"GET", "/", Reason::no_route, {}},
      {"DELETE", "/api/v1/sessions", Reason::method_not_allowed, {"GET", "POST"}},
      {"PUT", "/api/v1/sessions/1", Reason::method_not_allowed, {"GET"}},
      {"GET", "/api/v1/sessions/1/stop", Reason::method_not_allowed, {"POST"}},
      {"POST", "/api/v1/audit-logs", Reason::method_not_allowed, {"GET"}},
      {"GET", "/api/v1/auth/login", Reason::method_not_allowed, {"POST"}},
      {"GET", "/api/v1/sessions?page=1", Reason::allowed, {}},
      {"GET", "/api/v1/sessions/", Reason::invalid_path, {}},
      {"GET", "/api/v1/sessions/%2e%2e/admin", Reason::invalid_path, {}},
      {"GET", "/api/v1/sessions/..%2fadmin", Reason::invalid_path, {}},
      {"GET", "/api/v1//sessions", Reason::invalid_path, {}},
      {"GET", "/api/v1/sessions/a%5cb", Reason::invalid_path, {}},
  };
  for (const Row& row : rows) {
    INFO(row.method << " " << row.path);
    const Decision d = policy.decide(key, row.method, row.path);
    INFO(describe(d));
    CHECK(d.reason() == row.reason);
    CHECK(d.status() == status_for(row.reason));
    if (row.reason == Reason::method_not_allowed) {
      CHECK(split_allow(d.allowed_methods()) == row.allow);
    }
  }
}
