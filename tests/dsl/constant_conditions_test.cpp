// constant-condition beyond literals (dsl/src/constant_conditions.cpp): an `and` whose
// comparisons of one attribute contradict each other never matches; an `or` whose
// comparisons cover every value always matches. One row per shape, each with the
// warning, its caret and its note; and near misses that must draw nothing.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "scopegate/dsl.hpp"

namespace {

struct ConstantRow {
  const char* note;
  const char* condition;  // after `when` on `GET /a/{id}` in scope a:read
  const char* message;    // the whole message
  const char* caret;      // the text under the caret
  const char* noted;      // the text under the note's caret
};

std::string policy_with(const char* condition) {
  return std::string("scope a:read {\n  GET /a/{id} when ") + condition + "\n}\n";
}

std::string under(const scopegate::Span& span) {
  if (!span.file) return {};
  return span.file->text.substr(span.offset, span.length);
}

// Each row's condition draws exactly one constant-condition, as the row says.
void check_rows(const std::vector<ConstantRow>& rows, const char* help) {
  for (const ConstantRow& row : rows) {
    INFO(row.note);
    const auto compiled = scopegate::check_source("c.policy", policy_with(row.condition));
    INFO(compiled.diagnostics.render());
    REQUIRE(compiled.policy.has_value());
    REQUIRE(compiled.diagnostics.size() == 1);
    const auto& d = compiled.diagnostics.items().front();
    CHECK(d.code == "constant-condition");
    CHECK(d.severity == scopegate::Severity::warning);
    CHECK(d.message == row.message);
    CHECK(under(d.span) == row.caret);
    REQUIRE(d.notes.size() == 1);
    CHECK(under(d.notes.front().span) == row.noted);
    CHECK_THAT(d.help, Catch::Contains(help));
  }
}

// The constant-condition warnings among `diagnostics` (a `*` route also draws open-wildcard).
std::vector<scopegate::Diagnostic> constant_conditions(const scopegate::Diagnostics& diagnostics) {
  std::vector<scopegate::Diagnostic> out;
  for (const scopegate::Diagnostic& d : diagnostics.items()) {
    if (d.code == "constant-condition") out.push_back(d);
  }
  return out;
}

}  // namespace

TEST_CASE("comparisons that contradict each other under and draw constant-condition") {
  const std::vector<ConstantRow> rows = {
      {"a time before T1 and after T2 >= T1",
       R"(request.time < "2027-01-01T00:00:00Z" and request.time > "2027-06-01T00:00:00Z")",
       "condition is always false: `request.time < \"2027-01-01T00:00:00Z\"` and `request.time > "
       "\"2027-06-01T00:00:00Z\"` cannot both hold",
       R"(request.time < "2027-01-01T00:00:00Z" and request.time > "2027-06-01T00:00:00Z")",
       R"(request.time > "2027-06-01T00:00:00Z")"},
      {"a time before T and at or after T", R"(request.time >= "2027-01-01T00:00:00Z" and
         request.time < "2027-01-01T00:00:00Z")",
       "condition is always false: `request.time >= \"2027-01-01T00:00:00Z\"` and `request.time < "
       "\"2027-01-01T00:00:00Z\"` cannot both hold",
       "request.time >= \"2027-01-01T00:00:00Z\" and\n         request.time < "
       "\"2027-01-01T00:00:00Z\"",
       R"(request.time < "2027-01-01T00:00:00Z")"},
      {"one attribute equal to two strings", R"(principal.org == "a" and principal.org == "b")",
       "condition is always false: `principal.org == \"a\"` and `principal.org == \"b\"` cannot "
       "both hold",
       R"(principal.org == "a" and principal.org == "b")", R"(principal.org == "b")"},
      {"equal to a string and not equal to it",
       R"(request.param.id == "x" and request.param.id != "x")",
       "condition is always false: `request.param.id == \"x\"` and `request.param.id != \"x\"` "
       "cannot both hold",
       R"(request.param.id == "x" and request.param.id != "x")", R"(request.param.id != "x")"},
      {"two disjoint lists", R"(principal.kind in ["user"] and principal.kind == "api_key")",
       "condition is always false: `principal.kind in [\"user\"]` and `principal.kind == "
       "\"api_key\"` cannot both hold",
       R"(principal.kind in ["user"] and principal.kind == "api_key")",
       R"(principal.kind == "api_key")"},
      {"an address in two disjoint ranges",
       "request.ip in 10.0.0.0/8 and request.ip in 192.168.0.0/16",
       "condition is always false: `request.ip in 10.0.0.0/8` and `request.ip in 192.168.0.0/16` "
       "cannot both hold",
       "request.ip in 10.0.0.0/8 and request.ip in 192.168.0.0/16", "request.ip in 192.168.0.0/16"},
      {"an address equal to one outside a range",
       "request.ip == 192.0.2.1 and request.ip in [10.0.0.0/8]",
       "condition is always false: `request.ip == 192.0.2.1` and `request.ip in [10.0.0.0/8]` "
       "cannot both hold",
       "request.ip == 192.0.2.1 and request.ip in [10.0.0.0/8]", "request.ip in [10.0.0.0/8]"},
      {"an integer range left empty, with the literal on the left",
       "request.query.size > 100 and 50 > request.query.size",
       "condition is always false: `request.query.size > 100` and `50 > request.query.size` "
       "cannot both hold",
       "request.query.size > 100 and 50 > request.query.size", "50 > request.query.size"},
      {"the contradiction inside a larger condition, across parentheses",
       R"(principal.kind == "user" or (request.query.a == "1" and (request.query.b == "2" and request.query.a == "3")))",
       "condition is always false: `request.query.a == \"1\"` and `request.query.a == \"3\"` "
       "cannot both hold",
       R"(request.query.a == "1" and (request.query.b == "2" and request.query.a == "3"))",
       R"(request.query.a == "3")"},
      {"no value left of a closed set",
       R"(principal.kind != "user" and principal.kind != "api_key" and principal.kind != "anonymous")",
       "condition is always false: no value of 'principal.kind' meets all of its comparisons",
       R"(principal.kind != "user" and principal.kind != "api_key" and principal.kind != "anonymous")",
       R"(principal.kind != "anonymous")"},
      {"three lists that leave nothing only together",
       R"(principal.org in ["a", "b"] and principal.org in ["b", "c"] and principal.org in ["a", "c"])",
       "condition is always false: no value of 'principal.org' meets all of its comparisons",
       R"(principal.org in ["a", "b"] and principal.org in ["b", "c"] and principal.org in ["a", "c"])",
       R"(principal.org in ["a", "c"])"},
  };
  check_rows(rows, "use `or`");
}

TEST_CASE("comparisons that cover every value under or draw constant-condition") {
  const std::vector<ConstantRow> rows = {
      {"not equal to one string or to another",
       R"(request.header.x-env != "a" or request.header.x-env != "b")",
       "condition is always true when 'request.header.x-env' is present: every value of "
       "'request.header.x-env' meets `request.header.x-env != \"a\"` or `request.header.x-env != "
       "\"b\"`",
       R"(request.header.x-env != "a" or request.header.x-env != "b")",
       R"(request.header.x-env != "b")"},
      {"an attribute that is never missing is always true",
       R"(principal.kind != "user" or principal.kind != "api_key")",
       "condition is always true: every value of 'principal.kind' meets `principal.kind != "
       "\"api_key\"` or `principal.kind != \"user\"`",
       R"(principal.kind != "user" or principal.kind != "api_key")", R"(principal.kind != "user")"},
      {"equal to a string or not equal to it",
       R"(request.param.id == "x" or request.param.id != "x")",
       "condition is always true: every value of 'request.param.id' meets `request.param.id != "
       "\"x\"` or `request.param.id == \"x\"`",
       R"(request.param.id == "x" or request.param.id != "x")", R"(request.param.id == "x")"},
      {"every value of a closed set",
       R"(principal.kind == "user" or principal.kind in ["api_key"] or principal.kind == "anonymous")",
       "condition is always true: every value of 'principal.kind' meets one of its comparisons",
       R"(principal.kind == "user" or principal.kind in ["api_key"] or principal.kind == "anonymous")",
       R"(principal.kind == "anonymous")"},
      {"below a bound or at or above it",
       R"(request.time < "2027-01-01T00:00:00Z" or request.time >= "2027-01-01T00:00:00Z")",
       "condition is always true when 'request.time' is present: every value of 'request.time' "
       "meets `request.time < \"2027-01-01T00:00:00Z\"` or `request.time >= "
       "\"2027-01-01T00:00:00Z\"`",
       R"(request.time < "2027-01-01T00:00:00Z" or request.time >= "2027-01-01T00:00:00Z")",
       R"(request.time >= "2027-01-01T00:00:00Z")"},
  };
  check_rows(rows, "use `and`");
}

TEST_CASE("conditions that can change draw no constant-condition") {
  const char* const conditions[] = {
      R"(request.time >= "2027-01-01T00:00:00Z" and request.time < "2027-06-01T00:00:00Z")",
      R"(request.time > "2027-01-01T00:00:00Z" and request.time < "2027-01-01T00:00:02Z")",
      R"(principal.org == "a" or principal.org == "b")",
      R"(principal.org != "a" and principal.org != "b")",
      R"(principal.kind != "user" and principal.kind != "api_key")",
      R"(principal.kind == "user" or principal.kind == "api_key")",
      R"(principal.org == "a" and principal.name == "b")",
      R"(principal.org in ["a", "b"] and principal.org in ["b", "c"])",
      "request.ip in 10.0.0.0/8 and request.ip in 10.1.0.0/16",
      "request.ip in [10.0.0.0/8, 192.168.0.0/16] and request.ip in 192.168.1.0/24",
      "request.ip == 10.0.0.1 and request.ip in 10.0.0.0/8",
      "request.query.size > 100 or request.query.size < 50",
      // A query value that is not an integer meets neither comparison.
      "request.query.size != 5 or request.query.size != 6",
      "request.query.size >= 50 and request.query.size <= 50",
      R"(not principal.org == "a" and principal.org == "a" or principal.kind == "user")",
      R"(request.header.x-a == "1" and request.header.x-b == "2")",
  };
  for (const char* condition : conditions) {
    INFO(condition);
    const auto compiled = scopegate::check_source("c.policy", policy_with(condition));
    INFO(compiled.diagnostics.render());
    REQUIRE(compiled.policy.has_value());
    CHECK(compiled.diagnostics.empty());
  }
}

TEST_CASE("a contradiction between a scope's condition and a route's is reported once") {
  const char* const text = R"(scope a:read when principal.kind == "user" {
  GET /a when principal.kind == "api_key"
  GET /b
  GET /c when principal.kind == "api_key"
}

forbid DELETE /a when principal.org == "x" and principal.org == "y" {
  allow_warning forbid-matches-nothing "guard"
}
)";
  const auto compiled = scopegate::check_source("c.policy", text);
  INFO(compiled.diagnostics.render());
  REQUIRE(compiled.policy.has_value());
  std::vector<std::string> lines;
  for (const auto& d : compiled.diagnostics.items()) {
    lines.push_back(std::to_string(d.span.line) + ":" + std::to_string(d.span.column) + " " +
                    d.code);
  }
  CHECK(lines == std::vector<std::string>{"2:15 constant-condition", "4:15 constant-condition",
                                          "7:23 constant-condition"});
}

TEST_CASE("a constant condition is acknowledged in its block") {
  const char* const text = R"(scope a:read {
  allow_warning constant-condition "kept off until the migration"
  GET /a when principal.kind == "user" and principal.kind == "api_key"
}
)";
  const auto compiled = scopegate::check_source("c.policy", text);
  INFO(compiled.diagnostics.render());
  CHECK(compiled.diagnostics.empty());
}

TEST_CASE("a condition its route, rule or scope kind can never meet draws constant-condition") {
  struct PlaceRow {
    const char* note;
    const char* policy;
    const char* message;
    const char* caret;
    const char* noted;
    const char* note_text;  // part of the note's text
  };
  const std::vector<PlaceRow> rows = {
      {"a GET route judged for POST requests",
       "scope t:x {\n  GET /x when request.method == \"POST\"\n}\n",
       "condition is always false: `request.method == \"POST\"` never holds for this route",
       "request.method == \"POST\"", "GET /x", "this route takes only GET requests"},
      {"a method excluded by !=, under and",
       "scope t:x {\n  GET /x when request.query.a == \"1\" and request.method != \"GET\"\n}\n",
       "condition is always false: `request.method != \"GET\"` never holds for this route",
       "request.method != \"GET\"", "GET /x", "this route takes only GET requests"},
      {"a DELETE forbid rule judged for GET requests",
       "scope t:x {\n  * /repos/**\n}\nforbid DELETE /repos/** when request.method == \"GET\" {\n"
       "  message \"no\"\n}\n",
       "condition is always false: `request.method == \"GET\"` never holds for this forbid rule",
       "request.method == \"GET\"", "forbid DELETE /repos/**",
       "this forbid rule takes only DELETE requests"},
      {"a scope grant judged for an anonymous caller",
       "scope t:x {\n  GET /x when principal.kind == \"anonymous\"\n}\n",
       "condition is always false: `principal.kind == \"anonymous\"` never holds for this route",
       "principal.kind == \"anonymous\"", "GET /x", "an anonymous caller holds no scope"},
      {"a user scope grant judged for an API key",
       "user scope t:x {\n  GET /x when principal.kind in [\"api_key\", \"anonymous\"]\n}\n",
       "condition is always false: `principal.kind in [\"api_key\", \"anonymous\"]` never holds "
       "for this route",
       "principal.kind in [\"api_key\", \"anonymous\"]", "GET /x", "API keys never hold it"},
      {"every kind of caller listed",
       "scope t:x {\n  * /x\n}\nforbid * /x when principal.kind in [\"api_key\", \"user\", "
       "\"anonymous\"] {\n  message \"no\"\n}\n",
       "condition is always true: every value of 'principal.kind' is in the list",
       "principal.kind in [\"api_key\", \"user\", \"anonymous\"]",
       "[\"api_key\", \"user\", \"anonymous\"]", "is always one of"},
  };
  for (const PlaceRow& row : rows) {
    INFO(row.note);
    const auto compiled = scopegate::check_source("c.policy", row.policy);
    INFO(compiled.diagnostics.render());
    REQUIRE(compiled.policy.has_value());
    const auto constant = constant_conditions(compiled.diagnostics);
    REQUIRE(constant.size() == 1);
    const scopegate::Diagnostic& d = constant.front();
    CHECK(d.message == row.message);
    CHECK(under(d.span) == row.caret);
    CHECK_THAT(d.help, Catch::Contains("allow_warning constant-condition"));
    REQUIRE(d.notes.size() == 1);
    CHECK(under(d.notes.front().span) == row.noted);
    CHECK_THAT(d.notes.front().message, Catch::Contains(row.note_text));
  }
}

TEST_CASE("a condition its place can meet draws no constant-condition") {
  for (const char* policy : {
           "scope t:x {\n  * /x when request.method == \"POST\"\n}\n",
           "scope t:x {\n  GET /x when request.method == \"GET\" or request.method == \"POST\"\n"
           "}\n",
           "scope t:x {\n  GET /x when principal.kind == \"api_key\"\n}\n",
           "user scope t:x {\n  GET /x when false\n}\n",
       }) {
    INFO(policy);
    const auto compiled = scopegate::check_source("c.policy", policy);
    INFO(compiled.diagnostics.render());
    CHECK(constant_conditions(compiled.diagnostics).empty());
  }
}
