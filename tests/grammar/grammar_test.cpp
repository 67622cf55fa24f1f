// The PEGTL grammar: free of PEG problems, in step with grammar/policy.peg, and
// accepting exactly the shapes of the language (checks of names, methods and templates
// are the dsl's, so the grammar accepts `GTE x//y`).
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <tao/pegtl/contrib/analyze.hpp>

#include "scopegate/grammar/policy.hpp"

namespace {

namespace pegtl = tao::pegtl;
using scopegate::grammar::policy;

std::string read_file(const std::string& relative) {
  std::ifstream in(std::string(SCOPEGATE_SOURCE_DIR) + "/" + relative, std::ios::binary);
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every `name <-` at the start of a line of the PEG.
std::set<std::string> peg_rules(const std::string& text) {
  std::set<std::string> names;
  const std::regex definition(R"(^([a-z_]+)\s+<-)", std::regex::multiline);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), definition);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

// Every `struct name` at the start of a line of the header.
std::set<std::string> header_rules(const std::string& text) {
  std::set<std::string> names;
  const std::regex definition(R"(^struct ([a-z_]+)\b)", std::regex::multiline);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), definition);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

bool accepts(const std::string& text) {
  pegtl::memory_input in(text, "test");
  try {
    return pegtl::parse<policy>(in);
  } catch (const pegtl::parse_error&) {
    return false;
  }
}

}  // namespace

TEST_CASE("the grammar has no PEG problems") { CHECK(pegtl::analyze<policy>() == 0); }

TEST_CASE("every rule of policy.peg is a struct of the PEGTL header and vice versa") {
  const auto in_peg = peg_rules(read_file("grammar/policy.peg"));
  const auto in_header = header_rules(read_file("grammar/include/scopegate/grammar/policy.hpp"));
  REQUIRE(in_peg.size() > 40);
  for (const auto& name : in_peg) {
    INFO("rule in policy.peg: " << name);
    CHECK(in_header.count(name) == 1);
  }
  for (const auto& name : in_header) {
    INFO("struct in policy.hpp: " << name);
    CHECK(in_peg.count(name) == 1);
  }
}

TEST_CASE("the grammar accepts the language and rejects what is not") {
  struct Case {
    const char* note;
    const char* text;
    bool accepted;
  };
  const Case cases[] = {
      {"empty file", "", true},
      {"only comments and blank lines", "# a\n\n  # b\n", true},
      {"byte order mark", "\xEF\xBB\xBFscope a:b {}", true},
      {"empty scope", "scope a:b {}", true},
      {"scope with metadata and routes",
       "scope a:b {\n summary \"s\"\n note \"n\" note \"m\"\n use_case \"u\"\n"
       " GET /x \"d\"\n POST /x/{id}\n}",
       true},
      {"newlines are not significant", "scope a:b{GET /x \"d\" POST /y}", true},
      {"route on several lines", "scope a:b {\n GET\n /x\n \"d\"\n}", true},
      {"comment after a route", "scope a:b { GET /x # comment\n }", true},
      {"future scope", "future scope a:b { summary \"s\" }", true},
      {"user scope", "user scope a:b { GET /x }", true},
      {"implies then a route", "scope a:b { implies c:d e:f GET /x }", true},
      {"public and authenticated blocks", "public { POST /login } authenticated { GET /me }", true},
      {"wildcard method and templates", "scope a:b { * /files/* GET /static/** }", true},
      {"allow_warning in a scope, a role and a forbid rule",
       "scope a:b { allow_warning shared-route \"both grant it\" GET /x }\n"
       "role r { scopes a:b allow_warning empty-role \"r\" }\n"
       "forbid * /x/** { message \"m\" allow_warning forbid-matches-nothing \"guard\" }",
       true},
      {"allow_warning without a reason", "scope a:b { allow_warning shared-route }", false},
      {"allow_warning without a code", "scope a:b { allow_warning \"why\" }", false},
      {"allow_warning in a public block", "public { allow_warning open-wildcard \"x\" GET /a/** }",
       true},
      {"summary in a public block", "public { summary \"x\" }", false},
      {"role with every scope", "role admin { scopes * }", true},
      {"role with repeated scopes lines", "role m { summary \"s\" scopes a:b scopes c:d e:f }",
       true},
      {"string escapes", R"(scope a:b { summary "q\" b\\ n\n t\t" })", true},
      {"utf-8 in strings and comments", "# caf\xC3\xA9\nscope a:b { summary \"\xE2\x9C\x93\" }",
       true},
      {"lenient method, checked later", "scope a:b { GTE /x }", true},
      {"lenient template, checked later", "scope a:b { GET x//y }", true},
      {"lenient scope name, checked later", "scope Sessions { }", true},
      {"a keyword prefix is a name", "scope scope:read { }", true},
      {"a quoted scope name", "scope \"https://www.googleapis.com/auth/drive.readonly\" { GET /x }",
       true},
      {"quoted names after implies and scopes",
       "scope a:b { implies \"c{d}\" \"GET\" GET /x }\nrole r { scopes \"*\" a:b \"role\" }", true},
      {"a quoted name may be any string, checked later", "scope \"\" { } scope \"a b\" { }", true},
      {"an unterminated quoted name", "scope \"a:b { }", false},
      // Conditions.
      {"condition after a description", "scope a:b { GET /x \"d\" when request.query.size <= 100 }",
       true},
      {"condition without a description", "scope a:b { GET /x when principal.kind == \"user\" }",
       true},
      {"route line after a conditioned route",
       "scope a:b {\n GET /x when request.query.size <= 100\n POST /y \"d\"\n * /z\n}", true},
      {"condition spanning lines with a comment",
       "scope a:b {\n GET /x when request.ip in 10.0.0.0/8 # office\n  and not (\n"
       "  principal.org == \"o\")\n DELETE /y\n}",
       true},
      {"condition on a scope block", "scope a:b when principal.kind == \"api_key\" { GET /x }",
       true},
      {"condition in a public block (the compiler refuses it)", "public { GET /x when true }",
       true},
      {"and, or, not and parentheses",
       "scope a:b { GET /x when not (a.b == 1 or a.c != 2) and (a.d < 3 or not a.e >= -4) }", true},
      {"operators without spaces", "scope a:b { GET /x when(a.b==1)and(a.c<=2) }", true},
      {"not directly before a parenthesis", "scope a:b { GET /x when not(a.b > 1) }", true},
      {"every comparison operator",
       "scope a:b { GET /x when a == 1 and a != 1 and a < 1 and a <= 1 and a > 1 and a >= 1 "
       "and a in [1] }",
       true},
      {"booleans", "scope a:b { GET /x when true or false }", true},
      {"attribute with a dashed header name",
       "scope a:b { GET /x when request.header.x-request-id != \"\" }", true},
      {"upper-case header name after the first part",
       "scope a:b { GET /x when request.header.X-Api-Version == \"2\" }", true},
      {"ipv4 address and cidr",
       "scope a:b { GET /x when request.ip in 10.0.0.0/8 or request.ip == 192.0.2.1 }", true},
      {"ipv6 addresses and cidrs",
       "scope a:b { GET /x when request.ip in [2001:db8::/32, ::1, fe80::1, ::ffff:192.0.2.1] }",
       true},
      {"lists of strings and integers and the empty list",
       "scope a:b { GET /x when a in [\"x\", \"y\"] and b in [1,2 , 3] and c != [] }", true},
      {"negative integer", "scope a:b { GET /x when a > -1 }", true},
      {"string literal on the left", "scope a:b { GET /x when \"a:b\" in principal.scopes }", true},
      {"keywords are whole words in attributes",
       "scope a:b { GET /x when notes.x == 1 and order.y == 2 }", true},
      {"forbid with condition and message",
       "forbid * /api/** when principal.kind == \"api_key\" { message \"no\" }", true},
      {"forbid without condition", "forbid DELETE /x { message \"no\" }", true},
      {"forbid with an empty body", "forbid GET /x {}", true},
      {"forbid condition spanning lines",
       "forbid * /api/v1/** when principal.kind == \"api_key\"\n and principal.allowed_cidrs != "
       "[]\n"
       " and not request.ip in principal.allowed_cidrs {\n message \"m\"\n}",
       true},
      {"when without a condition", "scope a:b { GET /x when }", false},
      {"a bare value is not a condition", "scope a:b { GET /x when request.ip }", false},
      {"comparisons do not chain", "scope a:b { GET /x when a < b < c }", false},
      {"single equals sign", "scope a:b { GET /x when a = 1 }", false},
      {"c-style operators", "scope a:b { GET /x when a == 1 && b == 2 }", false},
      {"upper-case operator", "scope a:b { GET /x when a == 1 AND b == 2 }", false},
      {"dangling and", "scope a:b { GET /x when a == 1 and }", false},
      {"unclosed parenthesis", "scope a:b { GET /x when (a == 1 }", false},
      {"unmatched parenthesis", "scope a:b { GET /x when a == 1) }", false},
      {"parenthesized value", "scope a:b { GET /x when (a) == 1 }", false},
      {"unclosed list", "scope a:b { GET /x when a in [1, 2 }", false},
      {"list without commas", "scope a:b { GET /x when a in [1 2] }", false},
      {"trailing comma in a list", "scope a:b { GET /x when a in [1, 2,] }", false},
      {"attribute in a list", "scope a:b { GET /x when a in [b.c] }", false},
      {"nested list", "scope a:b { GET /x when a in [[1]] }", false},
      {"description after the condition", "scope a:b { GET /x when a == 1 \"d\" }", false},
      {"two conditions on one route", "scope a:b { GET /x when a == 1 when b == 2 }", false},
      {"when as a block item", "scope a:b { when a == 1 GET /x }", false},
      {"integer glued to letters", "scope a:b { GET /x when a == 5x }", false},
      {"unquoted scope name", "scope a:b { GET /x when sessions:read in principal.scopes }", false},
      {"forbid without a method", "forbid /x { }", false},
      {"forbid without a template", "forbid * { }", false},
      {"forbid without braces", "forbid * /x when a == 1", false},
      {"forbid with a route inside", "forbid * /x { GET /y }", false},
      {"forbid with a summary", "forbid * /x { summary \"s\" }", false},
      {"message outside a forbid rule", "scope a:b { message \"m\" }", false},
      {"unclosed scope", "scope a:b {", false},
      {"missing scope name", "scope { }", false},
      {"missing brace", "scope a:b GET /x }", false},
      {"future without scope", "future a:b { }", false},
      {"unknown declaration", "scop a:b { }", false},
      {"unknown item", "scope a:b { summery \"x\" }", false},
      {"route without template", "scope a:b { GET }", false},
      {"route outside a block", "GET /x", false},
      {"metadata in a public block", "public { summary \"x\" }", false},
      {"scopes in a scope block", "scope a:b { scopes c:d }", false},
      {"implies without names", "scope a:b { implies }", false},
      {"summary without string", "scope a:b { summary }", false},
      {"role without scopes list", "role x { scopes }", false},
      {"role with a route", "role x { GET /x }", false},
      {"unterminated string", "scope a:b { summary \"x }", false},
      {"raw newline in string", "scope a:b { summary \"x\ny\" }", false},
      {"unknown escape", R"(scope a:b { summary "\q" })", false},
      {"unclosed template parameter", "scope a:b { GET /x/{id }", false},
      {"unmatched close brace", "}", false},
      {"two descriptions", "scope a:b { GET /x \"a\" \"b\" }", false},
  };
  for (const Case& c : cases) {
    INFO(c.note << ": " << c.text);
    CHECK(accepts(c.text) == c.accepted);
  }
}
