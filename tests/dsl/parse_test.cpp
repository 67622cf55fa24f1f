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
       "'summary' is not allowed in the public block", "route lines only"},
      {"scopes in a scope", "scope a:b { scopes c:d }", "syntax-error", 1, 13,
       "'scopes' is not allowed in scope 'a:b'", "implies"},
      {"route outside a block", "GET /x", "syntax-error", 1, 1, "route line outside a block",
       "inside a `scope`"},
      {"metadata outside a block", "summary \"x\"", "syntax-error", 1, 1,
       "'summary' outside a block", "move"},
      {"unmatched brace", "scope a:b { }\n}", "syntax-error", 2, 1, "unmatched '}'", "remove"},
      {"missing scope name", "scope {", "syntax-error", 1, 7,
       "expected a scope name after 'scope', found '{'", "scope resource:action"},
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
       "expected a scope name after 'implies', found '}'", "implies resource:action"},
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
      {"forbid", "\n  forbid * /x", "unsupported", 2, 3, "`forbid` rules are not supported yet",
       "remove"},
      {"when at top level", "when x", "unsupported", 1, 1,
       "conditions (`when ...`) are not supported yet", "remove"},
      {"when", "scope a:b {\n  GET /x \"d\" when x\n}", "unsupported", 2, 14,
       "conditions (`when ...`) are not supported yet", "remove"},
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
