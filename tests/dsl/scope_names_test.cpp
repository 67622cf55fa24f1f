// Scope names as OAuth 2.0 defines them (RFC 6749 section 3.3): real APIs' names compile
// and work wherever a scope name appears (roles, implies, conditions, keys, policy tests,
// fmt, diff, docs); names that clash with the language's punctuation are quoted; a
// malformed name is an error at the character at fault; `resource:action` is a style
// lint (`check --style`), not a rule.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/diff.hpp"
#include "scopegate/dsl/format.hpp"
#include "scopegate/dsl/policy_tests.hpp"
#include "scopegate/dsl/scope_reference.hpp"

namespace {

using scopegate::Lints;
using scopegate::Reason;

// GitHub, Slack, Microsoft Graph and Google scope names, as the issue lists them.
const char* const real_api_policy = R"(scope repo {
  GET /repos/{owner}/{repo}
}

scope admin:repo_hook {
  GET /repos/{owner}/{repo}/hooks
}

scope read:org {
  GET /orgs/{org}
}

scope chat:write.public {
  POST /chat.postMessage
}

scope admin.users:read {
  GET /admin.users.list
}

scope User.Read.All {
  GET /v1.0/users
}

scope "https://www.googleapis.com/auth/drive.readonly" {
  GET /drive/v3/files
}

scope "https://www.googleapis.com/auth/drive" {
  implies "https://www.googleapis.com/auth/drive.readonly"
  DELETE /drive/v3/files/{id}
    when "User.Read.All" in principal.scopes
}

role maintainer {
  scopes repo admin:repo_hook read:org
}

role reader {
  scopes "https://www.googleapis.com/auth/drive.readonly" User.Read.All
}
)";

std::string render(const scopegate::Compilation& compiled) { return compiled.diagnostics.render(); }

scopegate::Policy compile_ok(std::string_view text) {
  auto compiled = scopegate::check_source("names.policy", text);
  INFO(render(compiled));
  REQUIRE(compiled.policy.has_value());
  CHECK(compiled.diagnostics.empty());
  return std::move(*compiled.policy);
}

std::vector<std::string> scope_names(const scopegate::Policy& policy) {
  std::vector<std::string> names;
  for (const auto& scope : policy.scopes()) names.emplace_back(scope.name);
  return names;
}

}  // namespace

TEST_CASE("GitHub, Slack, Microsoft Graph and Google scope names compile without a warning") {
  const auto policy = compile_ok(real_api_policy);
  CHECK(scope_names(policy) ==
        std::vector<std::string>{"repo", "admin:repo_hook", "read:org", "chat:write.public",
                                 "admin.users:read", "User.Read.All",
                                 "https://www.googleapis.com/auth/drive.readonly",
                                 "https://www.googleapis.com/auth/drive"});
}

TEST_CASE("such names grant to keys and roles, through implies and in conditions") {
  const auto policy = compile_ok(real_api_policy);
  const auto hook = policy.principal_for_key({"admin:repo_hook"});
  CHECK(policy.decide(hook, "GET", "/repos/o/r/hooks").allowed());
  const auto denied = policy.decide(hook, "GET", "/orgs/o");
  CHECK(denied.reason() == Reason::missing_scope);
  CHECK(denied.message() == "API key does not have required scope: read:org");

  const auto drive = policy.principal_for_key({"https://www.googleapis.com/auth/drive"});
  CHECK(policy.decide(drive, "GET", "/drive/v3/files").allowed());
  // The condition names a scope the key lacks, then one it holds.
  CHECK(policy.decide(drive, "DELETE", "/drive/v3/files/1").reason() == Reason::condition_failed);
  const auto both =
      policy.principal_for_key({"https://www.googleapis.com/auth/drive", "User.Read.All"});
  CHECK(policy.decide(both, "DELETE", "/drive/v3/files/1").allowed());

  const auto* reader = policy.find_role("reader");
  REQUIRE(reader != nullptr);
  const auto user = policy.principal_for_role("reader");
  CHECK(policy.decide(user, "GET", "/v1.0/users").allowed());
  CHECK(policy.decide(user, "GET", "/drive/v3/files").allowed());
  CHECK_FALSE(policy.decide(user, "GET", "/chat.postMessage").allowed());
}

TEST_CASE("policy tests name such scopes in a key's scopes") {
  const auto policy = compile_ok(real_api_policy);
  const auto loaded = scopegate::parse_policy_tests("names.toml", R"([[case]]
name = "a Slack key posts to public channels"
scopes = ["chat:write.public"]
request = "POST /chat.postMessage"
expect = "allow"

[[case]]
name = "a Google drive key reads files"
scopes = ["https://www.googleapis.com/auth/drive"]
request = "GET /drive/v3/files"
expect = "allow"

[[case]]
name = "a Graph key does not read orgs"
scopes = ["User.Read.All"]
request = "GET /orgs/o"
expect = "deny"
reason = "missing_scope"
)");
  INFO(loaded.errors.render());
  REQUIRE(loaded.errors.empty());
  REQUIRE(loaded.cases.size() == 3);
  const auto report = scopegate::run_policy_tests(policy, loaded.cases);
  CHECK(report.passed() == 3);
}

TEST_CASE("fmt writes a scope name in quotes only when it needs them, and round-trips") {
  const char* const text = R"(scope "chat:write.public" { POST /chat.postMessage }
scope "files{all}" { GET /files }
scope "role" { GET /roles }
scope "ADMIN" { implies "files{all}" "role" GET /admin }
scope "*" { GET /star }
scope "when:x" { implies "ADMIN" }
role r { scopes "*" "https://www.googleapis.com/auth/drive.readonly" User.Read.All }
scope https://www.googleapis.com/auth/drive.readonly { GET /drive }
scope User.Read.All { GET /users }
)";
  const auto formatted = scopegate::format_source("names.policy", text);
  INFO((formatted ? *formatted : formatted.error().render()));
  REQUIRE(formatted.has_value());
  const std::string expected = R"(scope chat:write.public {
  POST /chat.postMessage
}

scope "files{all}" {
  GET /files
}

scope "role" {
  GET /roles
}

scope "ADMIN" {
  implies "files{all}" "role"

  GET /admin
}

scope "*" {
  GET /star
}

scope "when:x" {
  implies "ADMIN"
}

role r {
  scopes "*" https://www.googleapis.com/auth/drive.readonly User.Read.All
}

scope https://www.googleapis.com/auth/drive.readonly {
  GET /drive
}

scope User.Read.All {
  GET /users
}
)";
  CHECK(*formatted == expected);
  const auto again = scopegate::format_source("names.policy", *formatted);
  REQUIRE(again.has_value());
  CHECK(*again == *formatted);
  const auto before = scopegate::compile_source("a.policy", text);
  const auto after = scopegate::compile_source("b.policy", *formatted);
  INFO((before ? std::string() : before.error().render()));
  REQUIRE(before.has_value());
  REQUIRE(after.has_value());
  CHECK(scope_names(*before) == scope_names(*after));
  CHECK(scopegate::diff_policies(*before, *after).identical());
}

TEST_CASE("diff and docs print such names as they are") {
  const auto old_policy = compile_ok(real_api_policy);
  std::string changed = real_api_policy;
  changed += "scope admin:org_hook {\n  GET /orgs/{org}/hooks\n}\n";
  const auto new_policy = compile_ok(changed);
  const std::string diff = scopegate::render_diff(scopegate::diff_policies(old_policy, new_policy));
  CHECK_THAT(diff, Catch::Contains("admin:org_hook"));

  const std::string markdown =
      scopegate::scope_reference(old_policy, scopegate::ReferenceFormat::markdown);
  CHECK_THAT(markdown, Catch::Contains("https://www.googleapis.com/auth/drive.readonly"));
  CHECK_THAT(markdown, Catch::Contains("chat:write.public"));
  const std::string html = scopegate::scope_reference(old_policy, scopegate::ReferenceFormat::html);
  CHECK_THAT(html, Catch::Contains("User.Read.All"));
}

TEST_CASE("a malformed quoted scope name is an error at the character at fault") {
  struct Row {
    const char* note;
    const char* policy;
    const char* message;
    const char* caret;  // the source line and the caret line
  };
  const std::vector<Row> rows = {
      {"empty", "scope \"\" { GET /a }\n", "error: a scope name cannot be empty [bad-scope-name]",
       "    1 | scope \"\" { GET /a }\n      |       ^~\n"},
      {"a space", "scope \"drive readonly\" { GET /a }\n",
       "error: invalid scope name 'drive readonly': it contains a space [bad-scope-name]",
       "      |             ^\n"},
      {"an escaped quote", "scope \"a\\\"b\" { GET /a }\n",
       "error: invalid scope name 'a\"b': it contains '\"' [bad-scope-name]",
       "      |         ^~\n"},
      {"an escaped backslash", "scope \"a\\\\b\" { GET /a }\n",
       "error: invalid scope name 'a\\b': it contains '\\' [bad-scope-name]",
       "      |         ^~\n"},
      {"a non-ASCII letter", "scope \"caf\xC3\xA9:read\" { GET /a }\n",
       "it contains '\xC3\xA9' (only ASCII characters are allowed) [bad-scope-name]",
       "      |           ^\n"},
      {"a non-ASCII letter, bare", "scope caf\xC3\xA9:read { GET /a }\n",
       "it contains '\xC3\xA9' (only ASCII characters are allowed) [bad-scope-name]",
       "      |          ^\n"},
      {"a tab", "scope \"a\\tb\" { GET /a }\n", "it contains a tab [bad-scope-name]",
       "      |         ^~\n"},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    const auto compiled = scopegate::compile_source("q.policy", row.policy);
    REQUIRE_FALSE(compiled.has_value());
    const std::string rendered = compiled.error().render();
    INFO(rendered);
    CHECK(compiled.error().size() == 1);
    CHECK_THAT(rendered, Catch::Contains(row.message));
    CHECK_THAT(rendered, Catch::Contains(row.caret));
    CHECK_THAT(rendered, Catch::Contains("help: a scope name is an OAuth 2.0 scope token"));
  }
}

TEST_CASE("check --style warns about names not in the resource:action shape, only when asked") {
  const auto plain = scopegate::check_source("names.policy", real_api_policy);
  CHECK(plain.diagnostics.empty());
  const auto styled =
      scopegate::check_source("names.policy", real_api_policy, Lints::warnings_and_style);
  INFO(render(styled));
  REQUIRE(styled.policy.has_value());
  std::vector<std::string> lines;
  for (const auto& d : styled.diagnostics.items()) {
    CHECK(d.code == "scope-name-style");
    lines.push_back(std::to_string(d.span.line) + ": " + d.message);
  }
  CHECK(lines == std::vector<std::string>{
                     "1: scope name 'repo' is not in the `resource:action` style",
                     "5: scope name 'admin:repo_hook' is not in the `resource:action` style",
                     "13: scope name 'chat:write.public' is not in the `resource:action` style",
                     "17: scope name 'admin.users:read' is not in the `resource:action` style",
                     "21: scope name 'User.Read.All' is not in the `resource:action` style",
                     "25: scope name 'https://www.googleapis.com/auth/drive.readonly' is not in "
                     "the `resource:action` style",
                     "29: scope name 'https://www.googleapis.com/auth/drive' is not in the "
                     "`resource:action` style"});
  CHECK_THAT(render(styled), Catch::Contains("did you mean 'admin:repo-hook'?"));
}

TEST_CASE("a scope-name-style acknowledgement is checked only when the style lint runs") {
  const char* const text = R"(scope admin:repo_hook {
  allow_warning scope-name-style "GitHub's name"
  GET /repos/{owner}/{repo}/hooks
}

scope repos:read {
  allow_warning scope-name-style "stale"
  GET /repos/{owner}/{repo}
}
)";
  CHECK(scopegate::check_source("a.policy", text).diagnostics.empty());
  const auto styled = scopegate::check_source("a.policy", text, Lints::warnings_and_style);
  INFO(render(styled));
  REQUIRE(styled.diagnostics.size() == 1);
  const auto& unused = styled.diagnostics.items().front();
  CHECK(unused.code == "unused-allow-warning");
  CHECK(unused.span.line == 7);
}

TEST_CASE("the help for an undeclared scope writes its name as the policy must") {
  const auto compiled = scopegate::compile_source(
      "u.policy", "scope a:read { GET /a }\nrole r { scopes \"files{all}\" a:read }\n");
  REQUIRE_FALSE(compiled.has_value());
  INFO(compiled.error().render());
  REQUIRE(compiled.error().size() == 1);
  CHECK(compiled.error().items().front().help ==
        "declare it with `scope \"files{all}\" { ... }`, or remove it");
}
