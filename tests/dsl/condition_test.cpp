// Conditions and forbid rules through the compiler: what is written is what the
// compiled grants and forbid rules hold (normalized text, source locations), decisions
// follow the conditions, and every refused condition is a diagnostic at the exact node.
#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/lower.hpp"
#include "scopegate/dsl/parse.hpp"
#include "scopegate/ip.hpp"
#include "scopegate/policy.hpp"

namespace {

using scopegate::Method;
using scopegate::Reason;

scopegate::Policy compile(const std::string& text) {
  auto compiled = scopegate::compile_source("c.policy", text);
  INFO(text << "\n" << (compiled ? std::string() : compiled.error().render()));
  REQUIRE(compiled.has_value());
  return std::move(*compiled);
}

const scopegate::Endpoint& endpoint(const scopegate::Policy& policy, Method method,
                                    std::string_view path_template) {
  const auto* found = policy.find_endpoint(method, path_template);
  REQUIRE(found != nullptr);
  return *found;
}

// 1-based line and column of the first occurrence of `needle` in `text`.
std::pair<std::uint32_t, std::uint32_t> position_of(const std::string& text,
                                                    std::string_view needle) {
  const std::size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  std::uint32_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<std::uint32_t>(at - line_start + 1)};
}

scopegate::Decision decide(const scopegate::Policy& policy, const scopegate::Principal& principal,
                           std::string_view method, std::string_view target,
                           std::optional<std::string_view> ip = std::nullopt,
                           std::span<const scopegate::Header> headers = {}) {
  scopegate::Request request;
  request.method = method;
  request.target = target;
  if (ip) request.ip = scopegate::parse_ip(*ip);
  request.headers = headers;
  return policy.decide(principal, request);
}

const char* const audit_policy = R"(scope audit:read {
  summary "Read audit logs"
  GET /api/v1/audit-logs "List audit logs" when request.query.size   <=
        100   # capped page size
  GET /api/v1/audit-logs/{id} when not request.query.size > 100
}
)";

}  // namespace

TEST_CASE("a route condition is compiled into its grant with normalized text and location") {
  const scopegate::Policy policy = compile(audit_policy);
  const auto& list = endpoint(policy, Method::get, "/api/v1/audit-logs");
  REQUIRE(list.grants.size() == 1);
  const scopegate::Grant& grant = list.grants.front();
  CHECK(grant.has_condition());
  CHECK(grant.condition->text == "request.query.size <= 100");
  CHECK(grant.condition->message == "Condition not met: request.query.size <= 100");
  const auto [line, column] = position_of(audit_policy, "request.query.size   <=");
  CHECK(grant.condition->location == scopegate::SourceLocation{"c.policy", line, column});
  CHECK(list.description == "List audit logs");
}

TEST_CASE("request.query.size <= 100 refuses a request without size, not > 100 allows it") {
  const scopegate::Policy policy = compile(audit_policy);
  const auto key = policy.principal_for_key({"audit:read"});
  CHECK(decide(policy, key, "GET", "/api/v1/audit-logs?size=100").allowed());
  CHECK(decide(policy, key, "GET", "/api/v1/audit-logs?page=2&size=7").allowed());

  const auto too_big = decide(policy, key, "GET", "/api/v1/audit-logs?size=101");
  CHECK(too_big.reason() == Reason::condition_failed);
  CHECK(too_big.status() == 403);
  REQUIRE(too_big.failed_grant() != nullptr);
  CHECK(too_big.failed_grant()->condition->text == "request.query.size <= 100");

  CHECK(decide(policy, key, "GET", "/api/v1/audit-logs").reason() == Reason::condition_failed);
  CHECK(decide(policy, key, "GET", "/api/v1/audit-logs?size=lots").reason() ==
        Reason::condition_failed);

  CHECK(decide(policy, key, "GET", "/api/v1/audit-logs/7").allowed());
  CHECK(decide(policy, key, "GET", "/api/v1/audit-logs/7?size=50").allowed());
  CHECK(decide(policy, key, "GET", "/api/v1/audit-logs/7?size=500").reason() ==
        Reason::condition_failed);

  // Without the scope the condition is never reached.
  const auto other = policy.principal_for_key({"nothing:here"});
  CHECK(decide(policy, other, "GET", "/api/v1/audit-logs?size=5").reason() ==
        Reason::missing_scope);
}

TEST_CASE("a scope condition applies to every route of the block and ANDs with a route's own") {
  const std::string text = R"(scope a:read when principal.kind == "api_key" {
  GET /a
  GET /b when request.query.x == "1"
     or request.query.y == "2"
}
scope c:read when request.query.x == "1" or request.query.y == "2" {
  GET /c when principal.kind == "api_key"
}
role r { scopes a:read c:read }
)";
  const scopegate::Policy policy = compile(text);
  const auto& a = endpoint(policy, Method::get, "/a").grants[0];
  CHECK(a.condition->text == "principal.kind == \"api_key\"");
  const auto [scope_line, scope_column] = position_of(text, "principal.kind == \"api_key\" {");
  CHECK(a.condition->location == scopegate::SourceLocation{"c.policy", scope_line, scope_column});

  const auto& b = endpoint(policy, Method::get, "/b").grants[0];
  CHECK(b.condition->text ==
        "principal.kind == \"api_key\" and (request.query.x == \"1\" or request.query.y == \"2\")");
  const auto [own_line, own_column] = position_of(text, "request.query.x == \"1\"\n");
  CHECK(b.condition->location == scopegate::SourceLocation{"c.policy", own_line, own_column});

  const auto& c = endpoint(policy, Method::get, "/c").grants[0];
  CHECK(c.condition->text ==
        "(request.query.x == \"1\" or request.query.y == \"2\") and principal.kind == \"api_key\"");

  const auto key = policy.principal_for_key({"a:read", "c:read"});
  const auto user = policy.principal_for_role("r");
  CHECK(decide(policy, key, "GET", "/a").allowed());
  CHECK(decide(policy, user, "GET", "/a").reason() == Reason::condition_failed);
  CHECK(decide(policy, key, "GET", "/b?y=2").allowed());
  CHECK(decide(policy, key, "GET", "/b?y=3").reason() == Reason::condition_failed);
  CHECK(decide(policy, user, "GET", "/b?y=2").reason() == Reason::condition_failed);
  CHECK(decide(policy, key, "GET", "/c?x=1").allowed());
  CHECK(decide(policy, key, "GET", "/c").reason() == Reason::condition_failed);
}

TEST_CASE("a route line after a conditioned route is its own route") {
  const scopegate::Policy policy = compile(
      "scope a:b {\n  GET /x when request.query.n >= 1\n  POST /y \"d\"\n  * /z when true\n"
      "  DELETE /w\n}\n");
  CHECK(endpoint(policy, Method::get, "/x").grants[0].has_condition());
  CHECK_FALSE(endpoint(policy, Method::post, "/y").grants[0].has_condition());
  CHECK(endpoint(policy, Method::post, "/y").description == "d");
  CHECK(endpoint(policy, Method::any, "/z").grants[0].condition->text == "true");
  CHECK_FALSE(endpoint(policy, Method::delete_, "/w").grants[0].has_condition());
}

const char* const cidr_policy = R"(scope sessions:read { GET /api/v1/sessions }
public { GET /healthz }

forbid * /api/v1/** when principal.kind == "api_key"
                     and principal.allowed_cidrs != []
                     and not request.ip in principal.allowed_cidrs {
  message "API key is not allowed from this address"
}
)";

TEST_CASE("a forbid rule compiles with its condition text, message and location") {
  const scopegate::Policy policy = compile(cidr_policy);
  REQUIRE(policy.forbids().size() == 1);
  const scopegate::ForbidRule& rule = policy.forbids().front();
  CHECK(rule.method == Method::any);
  CHECK(rule.path_template == "/api/v1/**");
  CHECK(rule.condition_text ==
        "principal.kind == \"api_key\" and principal.allowed_cidrs != [] and not request.ip in "
        "principal.allowed_cidrs");
  CHECK(rule.message == "API key is not allowed from this address");
  CHECK(rule.location == scopegate::SourceLocation{"c.policy", 4, 1});
}

TEST_CASE("not request.ip in principal.allowed_cidrs forbids a key outside its ranges") {
  const scopegate::Policy policy = compile(cidr_policy);
  auto open_key = policy.principal_for_key({"sessions:read"});
  CHECK(decide(policy, open_key, "GET", "/api/v1/sessions", "192.0.2.1").allowed());

  auto key = policy.principal_for_key({"sessions:read"});
  key.set_allowed_cidrs(
      {*scopegate::parse_cidr("10.0.0.0/8"), *scopegate::parse_cidr("2001:db8::/32")});
  CHECK(decide(policy, key, "GET", "/api/v1/sessions", "10.1.2.3").allowed());
  CHECK(decide(policy, key, "GET", "/api/v1/sessions", "2001:db8::7").allowed());

  const auto refused = decide(policy, key, "GET", "/api/v1/sessions", "192.0.2.1");
  CHECK(refused.reason() == Reason::forbidden);
  CHECK(refused.status() == 403);
  CHECK(refused.message() == "API key is not allowed from this address");
  CHECK(refused.forbid() == &policy.forbids().front());

  // No address at all: the `in` is false, so `not ... in` holds and the rule refuses.
  CHECK(decide(policy, key, "GET", "/api/v1/sessions").reason() == Reason::forbidden);
  // Outside the rule's template the rule does not apply.
  CHECK(decide(policy, key, "GET", "/healthz", "192.0.2.1").allowed());
}

TEST_CASE("a forbid rule wins over a grant, and has a default message") {
  const scopegate::Policy policy = compile(R"(scope a:b { * /x/** }
forbid DELETE /x/** { }
forbid GET /x/{id} when request.header.x-block == "yes" { message "blocked" }
)");
  const auto key = policy.principal_for_key({"a:b"});
  const auto deleted = decide(policy, key, "DELETE", "/x/1");
  CHECK(deleted.reason() == Reason::forbidden);
  CHECK(deleted.message() == "Forbidden by policy");
  CHECK(decide(policy, key, "GET", "/x/1").allowed());
  const scopegate::Header blocked[] = {{"X-Block", "yes"}};
  CHECK(decide(policy, key, "GET", "/x/1", std::nullopt, blocked).message() == "blocked");
  const scopegate::Header other[] = {{"X-Block", "no"}};
  CHECK(decide(policy, key, "GET", "/x/1", std::nullopt, other).allowed());
  CHECK(policy.forbids().at(0).condition_text.empty());
}

TEST_CASE("a refused condition is a diagnostic at the part that is wrong with a code and a fix") {
  struct Case {
    const char* note;
    std::string text;
    const char* code;
    const char* at;       // the text the span starts at (first occurrence)
    std::size_t length;   // of the span
    const char* message;  // a part of the message
    const char* help;     // a part of the help line
  };
  const Case cases[] = {
      {"misspelt attribute", "scope a:b { GET /x when request.qurey.size <= 1 }",
       "unknown-attribute", "request.qurey", 18, "unknown attribute 'request.qurey.size'",
       "did you mean 'request.query.size'?"},
      {"unknown request attribute", "scope a:b { GET /x when request.colour == \"red\" }",
       "unknown-attribute", "request.colour", 14, "unknown attribute",
       "`request` has: request.method"},
      {"unknown family", "scope a:b { GET /x when caller.kind == \"user\" }", "unknown-attribute",
       "caller.kind", 11, "unknown attribute", "attributes start with `request.` or `principal.`"},
      {"misspelt family", "scope a:b { GET /x when princpal.flavour == \"user\" }",
       "unknown-attribute", "princpal", 16, "unknown attribute",
       "did you mean 'principal'? `principal` has: principal.kind"},
      {"parameter the route does not bind",
       "scope a:b { GET /x/{id} when request.param.idd == \"1\" }", "unknown-attribute",
       "request.param.idd", 17, "this route has no parameter 'idd'",
       "did you mean 'request.param.id'?"},
      {"invalid address", "scope a:b { GET /x when request.ip == 300.1.2.3 }", "bad-literal",
       "300.1.2.3", 9, "invalid IP address '300.1.2.3'", "192.0.2.1"},
      {"host bits in a cidr", "scope a:b { GET /x when request.ip in 10.0.0.1/8 }", "bad-literal",
       "10.0.0.1/8", 10, "invalid CIDR range '10.0.0.1/8'", "10.0.0.0/8"},
      {"invalid timestamp", "scope a:b { GET /x when request.time > \"yesterday\" }", "bad-literal",
       "\"yesterday\"", 11, "invalid timestamp", "2026-02-18T10:30:00Z"},
      {"integer out of range", "scope a:b { GET /x when request.query.n < 99999999999999999999 }",
       "bad-literal", "9999", 20, "integer '99999999999999999999' is out of range", "between"},
      {"unquoted scope name that looks like an address",
       "scope a:b { GET /x when a:b in principal.scopes }", "bad-literal", "a:b in", 3,
       "invalid IP address 'a:b'", "\"a:b\" in principal.scopes"},
      {"unknown scope in principal.scopes",
       "scope sessions:read { GET /x when \"sesions:read\" in principal.scopes }", "unknown-scope",
       "\"sesions:read\"", 14, "unknown scope 'sesions:read'", "did you mean 'sessions:read'?"},
      {"ordering a string", "scope a:b { GET /x when request.method < \"x\" }", "bad-condition",
       "request.method <", 20, "'<' compares integers or times", "use == or !="},
      {"comparing an address with a string", "scope a:b { GET /x when request.ip == \"10.0.0.1\" }",
       "bad-condition", "request.ip ==", 24, "cannot compare an IP address with a string",
       "same type"},
      {"address ranges in quotes", "scope a:b { GET /x when request.ip in [\"10.0.0.0/8\"] }",
       "bad-condition", "request.ip in", 28,
       "cannot test an IP address for membership in a list of strings",
       "write the ranges bare, e.g. `request.ip in [10.0.0.0/8]`"},
      {"mixed list", "scope a:b { GET /x when request.query.a in [\"x\", 1] }", "bad-condition",
       "1]", 1, "a list holds one kind of item", "split it"},
      {"condition on a public route", "public { GET /x when request.query.a == \"1\" }",
       "bad-condition", "request.query.a ==", 22, "a condition needs a scope grant", "forbid"},
      {"scope condition without routes", "scope a:b when principal.kind == \"user\" { }",
       "bad-condition", "principal.kind", 24, "scope 'a:b' has a condition but no route lines",
       "own route lines"},
      {"forbid with a bad template", "forbid * /x//y { }", "bad-template", "//y", 1,
       "invalid forbid template '/x//y'", "'/'"},
      {"forbid with an unknown method", "forbid GTE /x { }", "unknown-method", "GTE", 3,
       "unknown method 'GTE'", "GET"},
      {"forbid with two messages", "forbid * /x { message \"a\" message \"b\" }",
       "duplicate-metadata", "message \"b\"", 7, "the forbid rule has more than one message",
       "keep one"},
      {"unknown attribute in a forbid rule", "forbid * /x when request.ipp == 1.2.3.4 { }",
       "unknown-attribute", "request.ipp", 11, "unknown attribute", "did you mean 'request.ip'?"},
  };
  for (const Case& c : cases) {
    INFO(c.note << ":\n" << c.text);
    auto compiled = scopegate::compile_source("c.policy", c.text);
    REQUIRE_FALSE(compiled.has_value());
    INFO(compiled.error().render());
    REQUIRE(compiled.error().size() == 1);
    const scopegate::Diagnostic& d = compiled.error().items().front();
    CHECK(d.code == c.code);
    const auto [line, column] = position_of(c.text, c.at);
    CHECK(d.span.line == line);
    CHECK(d.span.column == column);
    CHECK(d.span.length == c.length);
    CHECK(d.message.find(c.message) != std::string::npos);
    CHECK(d.help.find(c.help) != std::string::npos);
  }
}

TEST_CASE("a fault in a scope condition is reported once, noting a route it applies to") {
  const std::string text =
      "scope a:b when request.param.id == \"1\" {\n  GET /x/{id}\n  GET /y\n  GET /z\n}\n";
  auto compiled = scopegate::compile_source("c.policy", text);
  REQUIRE_FALSE(compiled.has_value());
  INFO(compiled.error().render());
  REQUIRE(compiled.error().size() == 1);
  const auto& d = compiled.error().items().front();
  CHECK(d.code == "unknown-attribute");
  CHECK(d.span.line == 1);
  CHECK(d.span.column == 16);
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes.front().span.line == 3);
  CHECK(d.notes.front().message == "in the condition of scope 'a:b' for this route");
}

TEST_CASE("conditions nest at most max_condition_depth deep") {
  const auto nested = [](std::size_t depth) {
    return "scope a:b { GET /x when " + std::string(depth, '(') + "request.query.n == 1" +
           std::string(depth, ')') + " }";
  };
  CHECK(scopegate::compile_source("c.policy", nested(scopegate::max_condition_depth)).has_value());
  auto deep = scopegate::compile_source("c.policy", nested(scopegate::max_condition_depth + 1));
  REQUIRE_FALSE(deep.has_value());
  CHECK(deep.error().items().front().code == "limit-exceeded");

  std::string nots;
  for (std::size_t i = 0; i <= scopegate::max_condition_depth; ++i) nots += "not ";
  auto negated = scopegate::compile_source(
      "c.policy", "scope a:b { GET /x when " + nots + "request.query.n == 1 }");
  REQUIRE_FALSE(negated.has_value());
  CHECK(negated.error().items().front().code == "limit-exceeded");

  // Long chains are flat, not deep.
  std::string chain = "request.query.n == 0";
  for (int i = 1; i < 500; ++i) chain += " or request.query.n == " + std::to_string(i);
  const scopegate::Policy policy = compile("scope a:b { GET /x when " + chain + " }");
  const auto key = policy.principal_for_key({"a:b"});
  CHECK(decide(policy, key, "GET", "/x?n=499").allowed());
  CHECK(decide(policy, key, "GET", "/x?n=500").reason() == Reason::condition_failed);
}

TEST_CASE("the condition text keeps strings as written and drops comments") {
  CHECK(scopegate::condition_text("a  ==\n\t\"x  # y\"  # note\n and b") ==
        "a == \"x  # y\" and b");
  CHECK(scopegate::condition_text("(a\n)") == "(a )");
  CHECK(scopegate::condition_text(R"(a == "q\"  x")") == R"(a == "q\"  x")");
}

TEST_CASE("every policy example in docs/language.md compiles") {
  std::ifstream in(std::string(SCOPEGATE_SOURCE_DIR) + "/docs/language.md", std::ios::binary);
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  const std::string docs = out.str();
  std::size_t examples = 0;
  for (std::size_t at = docs.find("```\n"); at != std::string::npos;) {
    const std::size_t start = at + 4;
    const std::size_t end = docs.find("```", start);
    REQUIRE(end != std::string::npos);
    const std::string block = docs.substr(start, end - start);
    at = docs.find("```\n", end + 3);
    // Grammar sketches and synopses (`<-`, upper-case placeholders) are not policies.
    if (block.find("<-") != std::string::npos || block.find("TEMPLATE") != std::string::npos) {
      continue;
    }
    auto compiled = scopegate::compile_source("language.md", block);
    INFO(block << (compiled ? std::string() : compiled.error().render()));
    CHECK(compiled.has_value());
    ++examples;
  }
  CHECK(examples >= 3);
}
