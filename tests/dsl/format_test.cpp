// format_source (`scopegate fmt`): the canonical layout, comments kept in place,
// idempotence (format(format(x)) == format(x)), and that formatting never changes the
// compiled policy, for every shipped policy file, every diagnostics golden that
// compiles, and rich policies with conditions, forbid rules and comments everywhere.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/diff.hpp"
#include "scopegate/dsl/format.hpp"
#include "test_files.hpp"

namespace {

namespace fs = std::filesystem;
using scopegate::canonical_condition_text;
using scopegate::format_source;
using scopegate::Policy;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string format_ok(std::string_view text) {
  auto formatted = format_source("test.policy", text);
  if (!formatted) FAIL(formatted.error().render());
  return *formatted;
}

std::vector<std::string> names_of(const Policy& policy, std::span<const scopegate::ScopeId> ids) {
  std::vector<std::string> names;
  for (const auto id : ids) names.emplace_back(policy.scopes()[id].name);
  return names;
}

std::vector<std::string> strings(std::span<const std::string_view> texts) {
  return {texts.begin(), texts.end()};
}

std::string condition_of(bool has, std::string_view text) {
  return has ? canonical_condition_text(text) : std::string();
}

std::string condition_of(const scopegate::Grant& grant) {
  return grant.has_condition() ? canonical_condition_text(grant.condition->text) : std::string();
}

// Everything a compiled policy holds except source locations and the literal spelling
// of conditions (compared in canonical form), field by field; plus the semantic diff.
void require_same_policy(const Policy& a, const Policy& b) {
  REQUIRE(scopegate::diff_policies(a, b).identical());
  REQUIRE(scopegate::diff_policies(a, b).forbid_messages_changed.empty());
  REQUIRE(a.scopes().size() == b.scopes().size());
  for (std::size_t i = 0; i < a.scopes().size(); ++i) {
    const auto& x = a.scopes()[i];
    const auto& y = b.scopes()[i];
    CHECK(x.name == y.name);
    CHECK(x.kind == y.kind);
    CHECK(x.summary == y.summary);
    CHECK(strings(x.notes) == strings(y.notes));
    CHECK(strings(x.use_cases) == strings(y.use_cases));
    CHECK(names_of(a, x.implies) == names_of(b, y.implies));
    CHECK(names_of(a, x.closure) == names_of(b, y.closure));
  }
  REQUIRE(a.endpoints().size() == b.endpoints().size());
  for (std::size_t i = 0; i < a.endpoints().size(); ++i) {
    const auto& x = a.endpoints()[i];
    const auto& y = b.endpoints()[i];
    CHECK(x.method == y.method);
    CHECK(x.path_template == y.path_template);
    CHECK(x.description == y.description);
    CHECK(x.access == y.access);
    CHECK(strings(x.key_scopes()) == strings(y.key_scopes()));
    CHECK(strings(x.user_scopes()) == strings(y.user_scopes()));
    REQUIRE(x.grants.size() == y.grants.size());
    for (std::size_t g = 0; g < x.grants.size(); ++g) {
      CHECK(a.scopes()[x.grants[g].scope].name == b.scopes()[y.grants[g].scope].name);
      CHECK(x.grants[g].path_template == y.grants[g].path_template);
      CHECK(condition_of(x.grants[g]) == condition_of(y.grants[g]));
    }
  }
  REQUIRE(a.roles().size() == b.roles().size());
  for (std::size_t i = 0; i < a.roles().size(); ++i) {
    const auto& x = a.roles()[i];
    const auto& y = b.roles()[i];
    CHECK(x.name == y.name);
    CHECK(x.summary == y.summary);
    CHECK(x.all_scopes == y.all_scopes);
    CHECK(names_of(a, x.listed) == names_of(b, y.listed));
    CHECK(names_of(a, x.closure.ids()) == names_of(b, y.closure.ids()));
  }
  REQUIRE(a.forbids().size() == b.forbids().size());
  for (std::size_t i = 0; i < a.forbids().size(); ++i) {
    const auto& x = a.forbids()[i];
    const auto& y = b.forbids()[i];
    CHECK(x.method == y.method);
    CHECK(x.path_template == y.path_template);
    CHECK(x.message == y.message);
    CHECK(condition_of(x.condition != UINT32_MAX, x.condition_text) ==
          condition_of(y.condition != UINT32_MAX, y.condition_text));
  }
}

std::size_t count_comments(std::string_view text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '#'));
}

// Formats, checks idempotence and that the comments survive, and that the compiled
// policy is unchanged (when the original compiles).
void require_safe_format(std::string_view name, std::string_view text) {
  INFO(name);
  const std::string once = format_ok(text);
  CHECK(format_ok(once) == once);
  CHECK(count_comments(once) == count_comments(text));
  auto before = scopegate::compile_source(name, text);
  if (!before) return;
  auto after = scopegate::compile_source(name, once);
  if (!after) FAIL(after.error().render());
  require_same_policy(*before, *after);
}

const char* const rich = R"(# header comment

# about sessions
scope sessions:read {   # trailing on header
  GET /api/v1/sessions "List"   # trailing route
  use_case "Monitoring"
  summary "View sessions."
  # before the id route
  GET /api/v1/sessions/{id} "Get one" when request.param.id!="x"  and(principal.kind=="api_key" or principal.kind  == "user")
  note "a note"
  implies audit:read
}
scope audit:read when principal.kind == "user" or principal.org == "acme" {
  GET /api/v1/audit-logs "List audit logs" when request.query.size <= 100
  GET /api/v1/audit-logs/{id}
  # at the end of the block
}
scope audit:admin { implies audit:read sessions:read GET /api/v1/admin when not ( request.ip in [10.0.0.0/8, 2001:db8::/32] ) }
forbid * /api/v1/** when principal.kind == "api_key"   # keys only
                     and principal.allowed_cidrs != []
                     and not request.ip in principal.allowed_cidrs {
  message "API key is not allowed from this address"
}
forbid DELETE /api/v1/audit-logs/** { message "Audit logs are never deleted" }
public { POST /api/v1/auth/login "Sign in" GET /healthz }
role admin { summary "All" scopes * }
role member { scopes sessions:read
  scopes audit:read }   # closing
# the end
)";

const char* const rich_formatted = R"(# header comment

# about sessions
scope sessions:read {  # trailing on header
  summary "View sessions."
  note "a note"
  use_case "Monitoring"
  implies audit:read

  GET /api/v1/sessions       "List"  # trailing route
  # before the id route
  GET /api/v1/sessions/{id}  "Get one"  when request.param.id != "x"
                                         and (principal.kind == "api_key" or principal.kind == "user")
}

scope audit:read when principal.kind == "user" or principal.org == "acme" {
  GET /api/v1/audit-logs       "List audit logs"  when request.query.size <= 100
  GET /api/v1/audit-logs/{id}
  # at the end of the block
}

scope audit:admin {
  implies audit:read sessions:read

  GET /api/v1/admin  when not request.ip in [10.0.0.0/8, 2001:db8::/32]
}

forbid * /api/v1/** when principal.kind == "api_key"  # keys only
                     and principal.allowed_cidrs != []
                     and not request.ip in principal.allowed_cidrs {
  message "API key is not allowed from this address"
}

forbid DELETE /api/v1/audit-logs/** {
  message "Audit logs are never deleted"
}

public {
  POST /api/v1/auth/login  "Sign in"
  GET  /healthz
}

role admin {
  summary "All"
  scopes *
}

role member {
  scopes sessions:read audit:read
}  # closing
# the end
)";

// Comments in every place the grammar allows one.
const char* const comments_everywhere = R"(# a
future # b
scope # c
x:y # d
{ # e
summary # f
"s" # g
implies # h
a:b # i
c:d # j
} # k
scope a:b { GET /a # l
  when # m
  request.query.n == "1" # n
  or # o
  request.query.n == "2" # p
} scope c:d { POST /c }
role r # q
{ scopes # r
  * # s
  scopes a:b # t
  c:d
}
forbid # u
GET /a { # v
message # w
"m" # x
} # y
# z)";

}  // namespace

TEST_CASE("fmt writes the canonical layout of a rich policy") {
  CHECK(format_ok(rich) == rich_formatted);
  require_safe_format("rich.policy", rich);
}

TEST_CASE("fmt keeps every comment and is idempotent when comments are everywhere") {
  require_safe_format("comments.policy", comments_everywhere);
}

TEST_CASE("fmt is idempotent and changes nothing compiled for every shipped policy file") {
  const fs::path dir = fs::path(SCOPEGATE_SOURCE_DIR) / "policies";
  const auto files = scopegate::policy_files({dir});
  REQUIRE(files.size() >= 3);
  const scopegate::testing::TempDir temp;
  const fs::path& out = temp.path();
  for (const fs::path& file : files) {
    const std::string text = read(file);
    require_safe_format(file.filename().string(), text);
    std::ofstream(out / file.filename(), std::ios::binary) << format_ok(text);
  }
  // The files compile together as one policy: compare that too.
  auto before = scopegate::compile_files({dir});
  auto after = scopegate::compile_files({out});
  if (!before) FAIL(before.error().render());
  if (!after) FAIL(after.error().render());
  require_same_policy(*before, *after);
}

TEST_CASE("fmt is idempotent on every diagnostics golden that parses, safe on those that compile") {
  const fs::path dir = fs::path(SCOPEGATE_SOURCE_DIR) / "tests" / "diagnostics";
  std::size_t compiled = 0;
  std::size_t parsed = 0;
  for (const fs::path& file : scopegate::policy_files({dir})) {
    const std::string text = read(file);
    auto formatted = format_source(file.filename().string(), text);
    if (!formatted) continue;
    ++parsed;
    require_safe_format(file.filename().string(), text);
    compiled += scopegate::compile_source("x.policy", text).has_value() ? 1 : 0;
  }
  CHECK(parsed >= 15);
  // Every golden is meant to fail to compile; the check stays for any that does not.
  CHECK(compiled <= parsed);
}

TEST_CASE("fmt orders scope metadata summary, note, use_case, implies and puts routes after") {
  const std::string out = format_ok(
      "scope b:c { GET /z implies a:b use_case \"u\" note \"n\" summary \"s\" }\n"
      "scope a:b { GET /y }\n");
  CHECK(out ==
        "scope b:c {\n  summary \"s\"\n  note \"n\"\n  use_case \"u\"\n  implies a:b\n\n"
        "  GET /z\n}\n\nscope a:b {\n  GET /y\n}\n");
}

TEST_CASE("fmt aligns method, template, description and when columns within a block") {
  const std::string out = format_ok(
      "scope a:b {\n GET /a \"one\"\n DELETE /a/{id} when request.param.id == \"1\"\n"
      " POST /a/{id}/long \"three\" when request.query.x == \"y\"\n}\n");
  CHECK(out ==
        "scope a:b {\n"
        "  GET    /a            \"one\"\n"
        "  DELETE /a/{id}                when request.param.id == \"1\"\n"
        "  POST   /a/{id}/long  \"three\"  when request.query.x == \"y\"\n"
        "}\n");
}

TEST_CASE("fmt writes conditions with single spaces and only the parentheses needed") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"request.query.size<=100", "request.query.size <= 100"},
      {"(a.b == 1)", "a.b == 1"},
      {"((a.b == 1) and (c.d == 2))", "a.b == 1 and c.d == 2"},
      {"a.b == 1 or (c.d == 2 and e.f == 3)", "a.b == 1 or c.d == 2 and e.f == 3"},
      {"(a.b == 1 or c.d == 2) and e.f == 3", "(a.b == 1 or c.d == 2) and e.f == 3"},
      {"not (a.b == 1)", "not a.b == 1"},
      {"not (a.b == 1 and c.d == 2)", "not (a.b == 1 and c.d == 2)"},
      {"not not true", "not not true"},
      {"a.b in [ \"x\" ,\"y\" ]", "a.b in [\"x\", \"y\"]"},
      {"a.b == \"q\\\"t\\\\\"", "a.b == \"q\\\"t\\\\\""},
      {"a.b in []", "a.b in []"},
      {"a.b == -1 or\n  # note\n  a.b > 7", "a.b == -1 or a.b > 7"},
      {"a.b ==", "a.b =="},  // does not parse: the text, single-spaced
  };
  for (const auto& [written, canonical] : cases) {
    INFO(written);
    CHECK(canonical_condition_text(written) == canonical);
  }
}

TEST_CASE("fmt keeps the message of a failed condition, written with needless parentheses") {
  const std::string written = R"(scope q:read {
  summary "Q"
  GET /q "Q" when request.query.a=="1" and (request.query.b == "2" and
      (request.query.c == "3"))   # three of them
}
)";
  auto before = scopegate::compile_source("q.policy", written);
  auto after = scopegate::compile_source("q.policy", format_ok(written));
  if (!before) FAIL(before.error().render());
  if (!after) FAIL(after.error().render());
  const auto refused = [](const Policy& policy) {
    return std::string(
        policy.decide(policy.principal_for_key({"q:read"}), "GET", "/q?a=1").message());
  };
  CHECK(refused(*before) ==
        R"(Condition not met: request.query.a == "1" and request.query.b == "2" and )"
        R"(request.query.c == "3")");
  CHECK(refused(*after) == refused(*before));
}

TEST_CASE("fmt breaks a long condition before each top-level operator") {
  const std::string long_value(60, 'v');
  const std::string text = "forbid GET /x when request.header.a == \"" + long_value +
                           "\" or request.header.b == \"" + long_value + "\" { }\n";
  const std::string out = format_ok(text);
  CHECK(out == "forbid GET /x when request.header.a == \"" + long_value + "\"\n" +
                   std::string(16, ' ') + "or request.header.b == \"" + long_value + "\" {\n}\n");
  CHECK(format_ok(out) == out);
}

TEST_CASE("fmt wraps long implies and scopes lists at the line width") {
  std::string names;
  std::string decls;
  for (int i = 0; i < 12; ++i) {
    const std::string name = "resource" + std::to_string(i) + ":read";
    names += " " + name;
    decls += "scope " + name + " { GET /r" + std::to_string(i) + " }\n";
  }
  const std::string out = format_ok(decls + "role r { scopes" + names + " }\n");
  std::istringstream lines(out);
  std::size_t scopes_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    CHECK(line.size() <= scopegate::format_line_width);
    scopes_lines += line.starts_with("  scopes ") ? 1 : 0;
  }
  CHECK(scopes_lines == 2);
  require_safe_format("wrap.policy", decls + "role r { scopes" + names + " }\n");
}

TEST_CASE("fmt drops a byte order mark and carriage returns, and ends with one newline") {
  CHECK(format_ok("\xEF\xBB\xBFpublic {\r\n  GET /x  # c\r\n}\r\n\r\n\r\n") ==
        "public {\n  GET /x  # c\n}\n");
  CHECK(format_ok("") == "");
  CHECK(format_ok("# only a comment\n\n") == "# only a comment\n");
}

TEST_CASE("fmt keeps one blank line between routes the author separated, none elsewhere") {
  CHECK(format_ok("public {\n\n  GET /a\n\n\n  GET /b\n  GET /c\n\n}\n\n\n\nrole r { }") ==
        "public {\n  GET /a\n\n  GET /b\n  GET /c\n}\n\nrole r {\n}\n");
}

TEST_CASE("fmt puts a public block's allow_warning lines before its routes, as in a scope") {
  CHECK(
      format_ok("public { GET /healthz GET /static/** allow_warning open-wildcard \"files\" }") ==
      "public {\n  allow_warning open-wildcard \"files\"\n\n  GET /healthz\n  GET /static/**\n}\n");
  require_safe_format(
      "access.policy",
      "authenticated {\n  * /me  # all of it\n  allow_warning open-wildcard \"x\"\n}\n");
}

TEST_CASE("fmt reports a syntax error and formats nothing") {
  auto result = format_source("bad.policy", "scope a:b {\n  GET /x \"unterminated\n}\n");
  REQUIRE_FALSE(result);
  REQUIRE(result.error().size() == 1);
  CHECK(result.error().items()[0].code == "syntax-error");
}
