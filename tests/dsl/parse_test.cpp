// The parser: the syntax tree keeps what was written and where, and every syntax error
// reads as a sentence for people, at the right place, never naming a grammar rule.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/parse.hpp"

namespace {

std::shared_ptr<const scopegate::SourceFile> source(std::string text) {
  return std::make_shared<const scopegate::SourceFile>(
      scopegate::SourceFile{"t.policy", std::move(text)});
}

std::string_view text_at(const scopegate::ast::File& file, scopegate::ast::Range range) {
  return std::string_view(file.source->text).substr(range.offset, range.length);
}

}  // namespace

TEST_CASE("the syntax tree keeps every token with its byte range") {
  const auto parsed =
      scopegate::parse(source("future scope a:b {\n  summary \"s\" note \"n\"\n  implies c:d\n}\n"
                              "public { GET /x/{id} \"d\" }\nrole r { scopes * scopes a:b }\n"));
  REQUIRE(parsed.diagnostics.empty());
  const auto& decls = parsed.file.declarations;
  REQUIRE(decls.size() == 3);

  const auto& scope = std::get<scopegate::ast::ScopeDecl>(decls[0]);
  CHECK(scope.kind == scopegate::ScopeKind::future);
  CHECK(text_at(parsed.file, scope.head) == "future scope");
  CHECK(text_at(parsed.file, scope.name.range) == "a:b");
  CHECK(text_at(parsed.file, scope.open_brace) == "{");
  REQUIRE(scope.summaries.size() == 1);
  CHECK(text_at(parsed.file, scope.summaries[0].keyword) == "summary");
  CHECK(text_at(parsed.file, scope.summaries[0].text.range) == "\"s\"");
  CHECK(scope.notes.at(0).text.value == "n");
  REQUIRE(scope.implies.size() == 1);
  CHECK(text_at(parsed.file, scope.implies[0].range) == "c:d");

  const auto& block = std::get<scopegate::ast::AccessBlock>(decls[1]);
  CHECK(block.access == scopegate::Access::public_);
  REQUIRE(block.routes.size() == 1);
  const auto& route = block.routes[0];
  CHECK(text_at(parsed.file, route.method.range) == "GET");
  CHECK(text_at(parsed.file, route.path_template.range) == "/x/{id}");
  CHECK(text_at(parsed.file, route.range) == "GET /x/{id} \"d\"");
  REQUIRE(route.description.has_value());
  CHECK(route.description->value == "d");

  const auto& role = std::get<scopegate::ast::RoleDecl>(decls[2]);
  CHECK(role.all_scopes);
  CHECK(text_at(parsed.file, role.all_scopes_range) == "*");
  REQUIRE(role.scopes.size() == 1);
  CHECK(role.scopes[0].text == "a:b");
}

TEST_CASE("syntax errors say what was expected, where, and what to do") {
  struct Case {
    const char* note;
    const char* text;
    const char* code;
    std::uint32_t line;
    std::uint32_t column;
    const char* message;
    const char* help;  // a part of the help line
  };
  const Case cases[] = {
      {"unclosed scope at end of file", "scope a:b {\n  GET /x  # last\n\n", "syntax-error", 2, 9,
       "expected '}' to close scope 'a:b'", "add '}'"},
      {"unclosed scope before the next one", "scope a:b {\n GET /x\nscope c:d { }", "syntax-error",
       2, 8, "expected '}' to close scope 'a:b' before the next declaration", "add '}'"},
      {"unclosed role", "role r { scopes a:b", "syntax-error", 1, 20,
       "expected '}' to close role 'r'", "add '}'"},
      {"unknown item with a close keyword", "scope a:b {\n  summery \"x\"\n}", "unknown-keyword", 2,
       3, "unknown item 'summery' in scope 'a:b'", "did you mean 'summary'?"},
      {"unknown item in a role", "role r { scope a:b }", "unknown-keyword", 1, 10,
       "unknown item 'scope' in role 'r'", "did you mean 'scopes'?"},
      {"unknown item far from any keyword", "role r { grants a:b }", "unknown-keyword", 1, 10,
       "unknown item 'grants' in role 'r'", "a role holds"},
      {"unknown declaration", "scop a:b { }", "unknown-keyword", 1, 1, "unknown declaration 'scop'",
       "did you mean 'scope'?"},
      {"metadata in a public block", "public { summary \"x\" }", "syntax-error", 1, 10,
       "'summary' is not allowed in the public block", "route lines (`METHOD /path"},
      {"scopes in a scope", "scope a:b { scopes c:d }", "syntax-error", 1, 13,
       "'scopes' is not allowed in scope 'a:b'", "implies"},
      {"route outside a block", "GET /x", "syntax-error", 1, 1, "route line outside a block",
       "inside a `scope`"},
      {"metadata outside a block", "summary \"x\"", "syntax-error", 1, 1,
       "'summary' outside a block", "move"},
      {"unmatched brace", "scope a:b { }\n}", "syntax-error", 2, 1, "unmatched '}'", "remove"},
      {"missing scope name", "scope {", "syntax-error", 1, 7,
       "expected a scope name after 'scope', found '{'", "scope sessions:read"},
      {"scope name with a space", "scope a b {", "syntax-error", 1, 9,
       "expected '{' after scope name 'a', found 'b'", "cannot contain spaces"},
      {"future without scope", "future a:b {", "syntax-error", 1, 8,
       "expected 'scope' after 'future', found 'a:b'", "future scope NAME"},
      {"missing role name", "role { }", "syntax-error", 1, 6,
       "expected a role name after 'role', found '{'", "role NAME"},
      {"public without brace", "public GET /x }", "syntax-error", 1, 8,
       "expected '{' after 'public', found 'GET'", "between '{' and '}'"},
      {"route without template", "scope a:b { GET }", "syntax-error", 1, 17,
       "expected a path template after 'GET', found '}'", "METHOD /path"},
      {"route without method", "scope a:b { /x }", "syntax-error", 1, 13,
       "route '/x' has no method", "GET, POST"},
      {"summary without string", "scope a:b { summary }", "syntax-error", 1, 21,
       "expected a string after 'summary', found '}'", "summary \"text\""},
      {"implies without names", "scope a:b { implies }", "syntax-error", 1, 21,
       "expected a scope name after 'implies', found '}'", "implies sessions:read"},
      {"an upper-case implied name", "scope a:b {\n  implies ADMIN\n  GET /x\n}", "syntax-error", 2,
       11, "expected a scope name after 'implies', found 'ADMIN'", "`implies \"ADMIN\"`"},
      {"scopes without names", "role r { scopes }", "syntax-error", 1, 17,
       "expected scope names or '*' after 'scopes', found '}'", "scopes *"},
      {"unterminated string", "scope a:b {\n  summary \"abc\n}", "syntax-error", 2, 11,
       "unterminated string", "same line"},
      {"unknown escape", "scope a:b { summary \"a\\qb\" }", "syntax-error", 1, 23,
       "unknown escape '\\q' in string", "\\\\"},
      {"unclosed template parameter", "scope a:b { GET /x/{id }", "syntax-error", 1, 20,
       "unclosed '{' in path template", "{name}"},
      {"two descriptions", "scope a:b { GET /x \"a\" \"b\" }", "syntax-error", 1, 24,
       "unexpected string in scope 'a:b'", "one description"},
      {"invalid utf-8", "scope a:b { summary \"\xff\" }", "syntax-error", 1, 22,
       "invalid UTF-8 byte 0xff", "UTF-8"},
      // Conditions and forbid rules.
      {"when at top level", "when x", "syntax-error", 1, 1, "`when` outside a route line or scope",
       "after a route line"},
      {"when as a block item", "scope a:b {\n  when a == 1\n}", "syntax-error", 2, 3,
       "`when` is not an item of scope 'a:b'", "`scope a:b when ... {`"},
      {"when without a condition", "scope a:b {\n  GET /x \"d\" when\n}", "syntax-error", 3, 1,
       "expected a condition after 'when', found '}'", "request.query.size <= 100"},
      {"a bare value", "scope a:b { GET /x when request.ip }", "syntax-error", 1, 36,
       "expected a comparison operator after 'request.ip', found '}'", "`in`"},
      {"single equals", "scope a:b { GET /x when a.b = 1 }", "syntax-error", 1, 29,
       "expected a comparison operator after 'a.b', found '='", "write `==`"},
      {"not after the value", "scope a:b { GET /x when request.ip not in 10.0.0.0/8 }",
       "syntax-error", 1, 36, "expected a comparison operator after 'request.ip', found 'not'",
       "`not` goes before the comparison"},
      {"unquoted scope name", "scope a:b { GET /x when sessions:read in principal.scopes }",
       "syntax-error", 1, 33, "expected a comparison operator after 'sessions', found ':read'",
       "\"sessions:read\" in principal.scopes"},
      {"missing value", "scope a:b { GET /x when a.b <= }", "syntax-error", 1, 32,
       "expected a value after '<=', found '}'", "a value is an attribute"},
      {"dangling and", "scope a:b { GET /x when a.b == 1 and }", "syntax-error", 1, 38,
       "expected a condition after 'and', found '}'", "combine comparisons"},
      {"bang for not", "scope a:b { GET /x when !(a.b == 1) }", "syntax-error", 1, 25,
       "expected a condition after 'when', found '!'", "write `not`"},
      {"c-style and", "scope a:b { GET /x when a.b == 1 && a.c == 2 }", "syntax-error", 1, 34,
       "unexpected '&&' in a condition", "write `and`"},
      {"c-style or in a scope head", "scope a:b when a.b == 1 || a.c == 2 { }", "syntax-error", 1,
       25, "unexpected '||' in a condition", "write `or`"},
      {"upper-case operator", "scope a:b { GET /x when a.b == 1 AND a.c == 2 }", "syntax-error", 1,
       34, "unknown operator 'AND'", "did you mean 'and'?"},
      {"chained comparison", "scope a:b { GET /x when 1 < a.b < 5 }", "syntax-error", 1, 33,
       "comparisons do not chain", "`a >= 1 and a <= 10`"},
      {"description after the condition", "scope a:b { GET /x when a.b == 1 \"d\" }",
       "syntax-error", 1, 34, "unexpected string after the condition", "before its condition"},
      {"second when", "scope a:b { GET /x when a.b == 1 when a.c == 2 }", "syntax-error", 1, 34,
       "a second `when` after a condition", "join the two with `and`"},
      {"unclosed parenthesis", "scope a:b { GET /x when (a.b == 1 }", "syntax-error", 1, 35,
       "expected ')' to close '(', found '}'", "close every '('"},
      {"unmatched parenthesis", "scope a:b { GET /x when a.b == 1) }", "syntax-error", 1, 33,
       "unmatched ')' in a condition", "remove it"},
      {"parenthesized value", "scope a:b { GET /x when (a.b) == 1 }", "syntax-error", 1, 29,
       "expected a comparison operator after 'a.b', found ')'", "compare the value"},
      {"list without commas", "scope a:b { GET /x when a.b in [1 2] }", "syntax-error", 1, 35,
       "expected ',' or ']' in a list, found '2'", "separate list items"},
      {"trailing comma", "scope a:b { GET /x when a.b in [1, ] }", "syntax-error", 1, 36,
       "expected a list item after ',', found ']'", "trailing ','"},
      {"attribute in a list", "scope a:b { GET /x when a.b in [a.c] }", "syntax-error", 1, 33,
       "expected ',' or ']' in a list, found 'a.c'", "items are strings"},
      {"forbid without a method", "forbid /x { }", "syntax-error", 1, 8,
       "expected a method after 'forbid', found '/x'", "forbid METHOD /path"},
      {"forbid without a template", "forbid * { }", "syntax-error", 1, 10,
       "expected a path template after '*', found '{'", "forbid METHOD /path"},
      {"forbid without braces", "forbid * /x when a.b == 1\nscope a:b { }", "syntax-error", 2, 1,
       "expected '{' after the condition, found 'scope'", "forbid METHOD /path"},
      {"forbid with a route", "forbid * /x { GET /y }", "unknown-keyword", 1, 15,
       "unknown item 'GET' in the forbid rule", "one `message"},
      {"message in a scope", "scope a:b { message \"m\" }", "syntax-error", 1, 13,
       "'message' is not allowed in scope 'a:b'", "a scope holds"},
      {"message outside a block", "message \"m\"", "syntax-error", 1, 1,
       "'message' outside a block", "`forbid` rule"},
  };
  for (const Case& c : cases) {
    INFO(c.note << ":\n" << c.text);
    const auto parsed = scopegate::parse(source(c.text));
    REQUIRE(parsed.diagnostics.size() == 1);
    const auto& d = parsed.diagnostics.items().front();
    INFO(parsed.diagnostics.render());
    CHECK(d.code == c.code);
    CHECK(d.span.line == c.line);
    CHECK(d.span.column == c.column);
    CHECK(d.message == c.message);
    CHECK(d.help.find(c.help) != std::string::npos);
    CHECK(d.message.find("grammar") == std::string::npos);
    CHECK(d.message.find("tao::") == std::string::npos);
  }
}

TEST_CASE("an unclosed block notes where it opened") {
  const auto parsed = scopegate::parse(source("scope a:b {\n  GET /x\n"));
  REQUIRE(parsed.diagnostics.size() == 1);
  const auto& d = parsed.diagnostics.items().front();
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes[0].message == "scope 'a:b' opens here");
  CHECK(d.notes[0].span.line == 1);
  CHECK(d.notes[0].span.column == 11);
}

TEST_CASE("a parsed condition keeps every operand and operator with its byte range") {
  const auto parsed = scopegate::parse(
      source("scope a:b when principal.kind == \"user\" {\n  GET /x \"d\" when not (request.ip in "
             "[10.0.0.0/8, ::1] or\n    request.query.n >= -2) and true\n  POST /y\n}\n"
             "forbid DELETE /z when request.header.x-a != \"\" { message \"no\" }\n"));
  INFO(parsed.diagnostics.render());
  REQUIRE(parsed.diagnostics.empty());
  using Kind = scopegate::ast::Expression::Kind;
  const auto& scope = std::get<scopegate::ast::ScopeDecl>(parsed.file.declarations.at(0));
  REQUIRE(scope.condition.has_value());
  CHECK(text_at(parsed.file, scope.condition->keyword) == "when");
  CHECK(text_at(parsed.file, scope.condition->range) == "principal.kind == \"user\"");
  REQUIRE(scope.routes.size() == 2);
  CHECK_FALSE(scope.routes[1].condition.has_value());

  const auto& condition = *scope.routes[0].condition;
  CHECK(text_at(parsed.file, condition.range) ==
        "not (request.ip in [10.0.0.0/8, ::1] or\n    request.query.n >= -2) and true");
  const auto& nodes = condition.nodes;
  const auto& root = nodes.at(condition.root);
  CHECK(root.kind == Kind::and_);
  REQUIRE(root.operands.size() == 2);
  const auto& negation = nodes.at(root.operands[0]);
  CHECK(negation.kind == Kind::not_);
  CHECK(text_at(parsed.file, negation.range) ==
        "not (request.ip in [10.0.0.0/8, ::1] or\n    request.query.n >= -2)");
  const auto& either = nodes.at(negation.operands.at(0));
  CHECK(either.kind == Kind::or_);
  const auto& in = nodes.at(either.operands.at(0));
  CHECK(in.kind == Kind::in);
  CHECK(text_at(parsed.file, in.range) == "request.ip in [10.0.0.0/8, ::1]");
  CHECK(nodes.at(in.operands.at(0)).kind == Kind::attribute);
  CHECK(nodes.at(in.operands.at(0)).text == "request.ip");
  const auto& list = nodes.at(in.operands.at(1));
  CHECK(list.kind == Kind::list);
  REQUIRE(list.operands.size() == 2);
  CHECK(nodes.at(list.operands[0]).kind == Kind::cidr);
  CHECK(nodes.at(list.operands[1]).kind == Kind::ip);
  CHECK(text_at(parsed.file, nodes.at(list.operands[1]).range) == "::1");
  const auto& at_least = nodes.at(either.operands.at(1));
  CHECK(at_least.kind == Kind::compare);
  CHECK(at_least.op == scopegate::CompareOp::ge);
  CHECK(nodes.at(at_least.operands.at(1)).integer == -2);
  CHECK(nodes.at(root.operands[1]).kind == Kind::boolean);
  CHECK(nodes.at(root.operands[1]).boolean);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (const auto operand : nodes[i].operands) CHECK(operand < i);
  }

  const auto& forbid = std::get<scopegate::ast::ForbidDecl>(parsed.file.declarations.at(1));
  CHECK(text_at(parsed.file, forbid.keyword) == "forbid");
  CHECK(forbid.method.text == "DELETE");
  CHECK(forbid.path_template.text == "/z");
  REQUIRE(forbid.condition.has_value());
  CHECK(text_at(parsed.file, forbid.condition->range) == "request.header.x-a != \"\"");
  REQUIRE(forbid.messages.size() == 1);
  CHECK(forbid.messages[0].text.value == "no");
}

TEST_CASE("tokens longer than the limit are refused") {
  const std::string name(scopegate::max_token_bytes + 1, 'a');
  const auto parsed = scopegate::parse(source("scope a:" + name + " { }"));
  REQUIRE(parsed.diagnostics.size() == 1);
  CHECK(parsed.diagnostics.items().front().code == "limit-exceeded");

  const std::string text(scopegate::max_string_bytes, 'x');
  const auto long_string = scopegate::parse(source("scope a:b { summary \"" + text + "\" }"));
  REQUIRE(long_string.diagnostics.size() == 1);
  CHECK(long_string.diagnostics.items().front().code == "limit-exceeded");

  const auto big = scopegate::parse(source(std::string(scopegate::max_file_bytes + 1, ' ')));
  REQUIRE(big.diagnostics.size() == 1);
  CHECK(big.diagnostics.items().front().code == "limit-exceeded");
}
