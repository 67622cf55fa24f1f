// compile_source / compile_files: what a policy author writes is what the compiled
// Policy holds (metadata, descriptions, source locations), files and directories load
// as one policy, and every error is reported, sorted.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "diagnostic_codes.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/dsl/policy_tests.hpp"
#include "scopegate/policy.hpp"
#include "test_files.hpp"

using scopegate::testing::codes_of;

namespace {

namespace fs = std::filesystem;
using scopegate::Access;
using scopegate::Method;
using scopegate::ScopeKind;

const char* const example = R"(# policies/api.policy
scope sessions:read {
  summary "View session information."
  use_case "Monitoring active sessions"
  use_case "Audit and compliance reporting"

  GET /api/v1/sessions        "List all sessions"
  GET /api/v1/sessions/{id}   "Get session details"
}

scope sessions:write {
  summary "Create, modify, and delete sessions."
  note "sessions:write does not include sessions:read. To both read and write sessions, grant both scopes."

  POST /api/v1/sessions              "Start a new session"
  POST /api/v1/sessions/{id}/stop    "Stop a session"
  POST /api/v1/sessions/{id}/extend  "Extend session duration"
}

# Declared, listed in docs, not yet grantable to a key.
future scope resources:write { summary "Create and modify resources" }

# Granted to signed-in users through roles; never to API keys.
user scope users:manage {
  summary "User management"
  GET  /api/v1/users
  POST /api/v1/users
  GET  /api/v1/users/{id}
}

public {
  POST /api/v1/auth/login
  GET  /healthz
}
authenticated {
  GET /api/v1/auth/me
}

role admin  { scopes * }
role member { summary "A signed-in user" scopes sessions:read sessions:write }

scope sessions:admin { implies sessions:read sessions:write }
)";

const scopegate::Scope& scope_named(const scopegate::Policy& policy, std::string_view name) {
  const auto id = policy.find_scope(name);
  REQUIRE(id.has_value());
  return policy.scopes()[*id];
}

void write(const fs::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("the design example compiles with its metadata kept") {
  auto compiled = scopegate::compile_source("policies/api.policy", example);
  INFO((compiled ? std::string() : compiled.error().render()));
  REQUIRE(compiled.has_value());
  const scopegate::Policy& policy = *compiled;

  CHECK(policy.scopes().size() == 5);
  const auto& read = scope_named(policy, "sessions:read");
  CHECK(read.kind == ScopeKind::plain);
  CHECK(read.summary == "View session information.");
  CHECK(std::vector<std::string>(read.use_cases.begin(), read.use_cases.end()) ==
        std::vector<std::string>{"Monitoring active sessions", "Audit and compliance reporting"});
  CHECK(read.location == scopegate::SourceLocation{"policies/api.policy", 2, 7});

  const auto& write_scope = scope_named(policy, "sessions:write");
  REQUIRE(write_scope.notes.size() == 1);
  CHECK(write_scope.notes.front().starts_with("sessions:write does not include sessions:read."));

  CHECK(scope_named(policy, "resources:write").kind == ScopeKind::future);
  CHECK(scope_named(policy, "resources:write").summary == "Create and modify resources");
  CHECK(scope_named(policy, "users:manage").kind == ScopeKind::user);
  CHECK(scope_named(policy, "sessions:admin").implies.size() == 2);

  const auto* details = policy.find_endpoint(Method::get, "/api/v1/sessions/{id}");
  REQUIRE(details != nullptr);
  CHECK(details->description == "Get session details");
  CHECK(details->access == Access::scoped);
  CHECK(details->location == scopegate::SourceLocation{"policies/api.policy", 8, 3});

  const auto* extend = policy.find_endpoint(Method::post, "/api/v1/sessions/{id}/extend");
  REQUIRE(extend != nullptr);
  CHECK(extend->location == scopegate::SourceLocation{"policies/api.policy", 17, 3});

  const auto* login = policy.find_endpoint(Method::post, "/api/v1/auth/login");
  REQUIRE(login != nullptr);
  CHECK(login->access == Access::public_);
  CHECK(login->description.empty());
  const auto* me = policy.find_endpoint(Method::get, "/api/v1/auth/me");
  REQUIRE(me != nullptr);
  CHECK(me->access == Access::authenticated);

  const auto* member = policy.find_role("member");
  REQUIRE(member != nullptr);
  CHECK(member->summary == "A signed-in user");
  CHECK(member->listed.size() == 2);
  CHECK_FALSE(member->all_scopes);
  const auto* admin = policy.find_role("admin");
  REQUIRE(admin != nullptr);
  CHECK(admin->all_scopes);
}

TEST_CASE("a compiled policy decides: sessions:write alone may not list sessions") {
  auto compiled = scopegate::compile_source("api.policy", example);
  REQUIRE(compiled.has_value());
  const auto key = compiled->principal_for_key({"sessions:write"});
  const auto refused = compiled->decide(key, "GET", "/api/v1/sessions");
  CHECK_FALSE(refused.allowed());
  CHECK(refused.message() == "API key does not have required scope: sessions:read");
  CHECK(compiled->decide(key, "POST", "/api/v1/sessions/42/stop").allowed());
}

TEST_CASE("string escapes are unescaped") {
  auto compiled = scopegate::compile_source(
      "x.policy", R"(scope a:b { summary "say \"hi\"\\" note "line\nnext\ttab" })");
  REQUIRE(compiled.has_value());
  const auto& scope = scope_named(*compiled, "a:b");
  CHECK(scope.summary == "say \"hi\"\\");
  CHECK(std::vector<std::string>(scope.notes.begin(), scope.notes.end()) ==
        std::vector<std::string>{"line\nnext\ttab"});
}

TEST_CASE("repeated public and authenticated blocks are merged") {
  auto compiled = scopegate::compile_source(
      "x.policy", "public { GET /a }\nauthenticated { GET /b }\npublic { GET /c }\n");
  REQUIRE(compiled.has_value());
  CHECK(compiled->endpoints().size() == 3);
  REQUIRE(compiled->find_endpoint(Method::get, "/c") != nullptr);
  CHECK(compiled->find_endpoint(Method::get, "/c")->access == Access::public_);
}

TEST_CASE("a role's repeated scopes lines add up") {
  auto compiled = scopegate::compile_source(
      "x.policy", "scope a:b {} scope c:d {} role r { scopes a:b\n scopes c:d }");
  REQUIRE(compiled.has_value());
  REQUIRE(compiled->find_role("r") != nullptr);
  CHECK(compiled->find_role("r")->listed.size() == 2);
}

TEST_CASE("an empty source is an empty policy") {
  auto compiled = scopegate::compile_source("empty.policy", "# nothing yet\n");
  REQUIRE(compiled.has_value());
  CHECK(compiled->scopes().empty());
  CHECK(compiled->endpoints().empty());
}

TEST_CASE("every semantic error of a file is reported, sorted by position") {
  const char* const text = R"(role member { scopes sesions:read }
scope sessions:read {
  summary "one"
  summary "two"
  GTE /api/v1/sessions
  GET /api/v1//x
}
scope sessions:read { }
scope "Bad name" { }
)";
  auto compiled = scopegate::compile_source("many.policy", text);
  REQUIRE_FALSE(compiled.has_value());
  const auto& diagnostics = compiled.error();
  CHECK(codes_of(diagnostics) == std::vector<std::string>{"unknown-scope", "duplicate-metadata",
                                                          "unknown-method", "bad-template",
                                                          "duplicate-scope", "bad-scope-name"});
  std::vector<std::uint32_t> lines;
  for (const auto& d : diagnostics.items()) lines.push_back(d.span.line);
  CHECK(lines == std::vector<std::uint32_t>{1, 4, 5, 6, 8, 9});
  CHECK(diagnostics.error_count() == 6);
  CHECK(diagnostics.render().ends_with("\n6 errors generated.\n"));
}

TEST_CASE("a failed compile read as a policy throws bad_result_access with the diagnostics") {
  auto compiled = scopegate::compile_source(
      "misspelt.policy", "scope sessions:read { }\nrole member { scopes sesions:read }\n");
  REQUIRE_FALSE(compiled.has_value());
  std::string what;
  try {
    static_cast<void>(compiled->scopes());
  } catch (const scopegate::bad_result_access& e) {
    what = e.what();
  }
  CHECK(what == "scopegate::Result: value() on an error: " + compiled.error().render());
  CHECK(what.find("misspelt.policy:2:22: error: unknown scope") != std::string::npos);
}

TEST_CASE("a syntax error stops only its own file, and every file's error is reported") {
  const scopegate::testing::TempDir temp;
  const fs::path& dir = temp.path();
  write(dir / "a.policy", "scope a:b {\n");
  write(dir / "b.policy", "scop c:d { }\n");
  auto compiled = scopegate::compile_files({dir});
  REQUIRE_FALSE(compiled.has_value());
  const auto& items = compiled.error().items();
  REQUIRE(items.size() == 2);
  CHECK(items[0].span.file->name == (dir / "a.policy").generic_string());
  CHECK(items[0].code == "syntax-error");
  CHECK(items[1].span.file->name == (dir / "b.policy").generic_string());
  CHECK(items[1].code == "unknown-keyword");
}

TEST_CASE("a directory loads every *.policy file in it, sorted by name, as one policy") {
  const scopegate::testing::TempDir temp;
  const fs::path& dir = temp.path();
  write(dir / "b.policy", "scope b:read { GET /b }\nrole r { scopes a:read b:read }\n");
  write(dir / "a.policy", "scope a:read { GET /a }\n");
  write(dir / "notes.txt", "not a policy {");
  fs::create_directories(dir / "sub.d");
  write(dir / "sub.d" / "c.policy", "scope c:read { GET /c }\n");  // not recursive
  auto compiled = scopegate::compile_files({dir});
  INFO((compiled ? std::string() : compiled.error().render()));
  REQUIRE(compiled.has_value());
  REQUIRE(compiled->scopes().size() == 2);
  CHECK(compiled->scopes()[0].name == "a:read");
  CHECK(compiled->scopes()[1].name == "b:read");
  CHECK(compiled->scopes()[0].location.file == (dir / "a.policy").generic_string());
  CHECK(compiled->find_endpoint(Method::get, "/c") == nullptr);
}

TEST_CASE("a file named both directly and through its directory is loaded once") {
  const scopegate::testing::TempDir temp;
  const fs::path& dir = temp.path();
  write(dir / "a.policy", "scope a:read { GET /a }\n");
  auto compiled = scopegate::compile_files({dir, dir / "a.policy"});
  INFO((compiled ? std::string() : compiled.error().render()));
  CHECK(compiled.has_value());
}

TEST_CASE("files given one by one form one policy, checked across files") {
  const scopegate::testing::TempDir temp;
  const fs::path& dir = temp.path();
  write(dir / "scopes.policy", "scope a:read { GET /a }\n");
  write(dir / "roles.policy", "role r { scopes a:read }\nrole s { scopes a:raed }\n");
  auto ok = scopegate::compile_files({dir / "scopes.policy"});
  CHECK(ok.has_value());
  auto compiled = scopegate::compile_files({dir / "scopes.policy", dir / "roles.policy"});
  REQUIRE_FALSE(compiled.has_value());
  REQUIRE(compiled.error().size() == 1);
  const auto& d = compiled.error().items().front();
  CHECK(d.code == "unknown-scope");
  CHECK(d.help == "did you mean 'a:read'?");
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes.front().span.file->name == (dir / "scopes.policy").generic_string());
}

TEST_CASE("missing paths, empty directories and no paths at all are diagnostics") {
  const scopegate::testing::TempDir temp;
  const fs::path& dir = temp.path();
  auto missing = scopegate::compile_files({dir / "nope.policy", dir});
  REQUIRE_FALSE(missing.has_value());
  CHECK(codes_of(missing.error()) == std::vector<std::string>{"no-policy-files", "file-not-found"});

  auto none = scopegate::compile_files({});
  REQUIRE_FALSE(none.has_value());
  CHECK(codes_of(none.error()) == std::vector<std::string>{"no-policy-files"});
  CHECK(none.error().render() ==
        "scopegate: error: no policy files given [no-policy-files]\n"
        "      = help: name policy files or directories holding *.policy files\n"
        "1 error generated.\n");
}

// The policy compiler and the policy-test loader read files through one function
// (dsl/src/read_file.cpp); each names its own kind of file in what it reports.
TEST_CASE(
    "dsl: policy files and test files report missing, empty and oversized input in their own "
    "words") {
  const scopegate::testing::TempDir temp;
  const fs::path& dir = temp.path();
  fs::create_directories(dir / "empty");
  {
    std::ofstream big(dir / "big.toml", std::ios::binary);
    big << std::string((std::size_t{16} << 20) + 1, '#');
    std::ofstream big_policy(dir / "big.policy", std::ios::binary);
    big_policy << std::string((std::size_t{16} << 20) + 1, '#');
  }
  const auto messages = [](const scopegate::Diagnostics& diagnostics) {
    std::vector<std::string> out;
    for (const auto& d : diagnostics.items())
      out.push_back(d.code + ": " + d.message + " / " + d.help);
    return out;
  };

  // Sorted by file: big.toml, empty, nope.
  const auto tests = scopegate::load_policy_tests({dir / "nope", dir / "empty", dir / "big.toml"});
  CHECK(messages(tests.errors) ==
        std::vector<std::string>{
            "limit-exceeded: file is larger than 16 MiB / split the cases into several files",
            "no-test-files: directory holds no *.toml file / test files must end in `.toml`",
            "file-not-found: no such file or directory / check the path; a directory is searched "
            "for *.toml files"});
  CHECK(messages(scopegate::load_policy_tests({}).errors) ==
        std::vector<std::string>{"no-test-files: no test files given / name test files or "
                                 "directories holding *.toml files"});

  const auto policy = scopegate::compile_files({dir / "big.policy", dir / "empty"});
  REQUIRE_FALSE(policy.has_value());
  CHECK(messages(policy.error()) ==
        std::vector<std::string>{"limit-exceeded: file is larger than 16 MiB / split the policy "
                                 "into several files in one directory",
                                 "no-policy-files: directory holds no *.policy file / policy files "
                                 "must end in `.policy`"});
}

TEST_CASE("a key scope listing a user scope's very route shares it, without a warning") {
  // How a future key scope is released: the user scope keeps granting the route to
  // signed-in users, the released scope grants it to keys (and to users who hold it).
  const char* const text = R"(user scope creds:manage { GET /creds POST /creds }
scope creds:read { GET /creds }
user scope other:manage { GET /other }
role admin { scopes * }
role member { scopes other:manage }
)";
  const auto checked = scopegate::check_source("x.policy", text);
  INFO(checked.diagnostics.render());
  REQUIRE(checked.policy.has_value());
  CHECK(checked.diagnostics.items().empty());
  const auto& policy = *checked.policy;
  CHECK(policy.decide(policy.principal_for_key({"creds:read"}), "GET", "/creds").allowed());
  const auto without = policy.decide(policy.principal_for_key({"other:manage"}), "GET", "/creds");
  CHECK(without.message() == "API key does not have required scope: creds:read");
  const auto post = policy.decide(policy.principal_for_key({"creds:read"}), "POST", "/creds");
  CHECK(post.message() == "API key authentication is not supported for this endpoint");
  CHECK(policy.decide(policy.principal_for_role("admin"), "GET", "/creds").allowed());
  CHECK(policy.decide(policy.principal_for_role("admin"), "POST", "/creds").allowed());
  CHECK_FALSE(policy.decide(policy.principal_for_role("member"), "GET", "/creds").allowed());
  // Through a wildcard it is still an error: the key scope did not name the route.
  CHECK_FALSE(scopegate::compile_source("x.policy",
                                        "user scope u:m { GET /u/{id} }\nscope u:r { GET /u/** }\n")
                  .has_value());
}
