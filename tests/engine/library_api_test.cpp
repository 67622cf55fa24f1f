// What an embedder meets first: a Result accessed wrongly says what it holds, keys are
// checked against the policy (and read from a scope string), and an Engine starts empty
// and moves.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;

namespace {

// s:read and s:write (plain), f:next (future), u:admin (user only).
Policy key_policy(std::string description = "first") {
  PolicyInput in;
  in.scopes = {scope("s:read"), scope("s:write"), scope("f:next", ScopeKind::future),
               scope("u:admin", ScopeKind::user)};
  in.routes = {route(Method::get, "/s/{id}", "s:read", description),
               route(Method::post, "/s", "s:write", description),
               route(Method::get, "/admin", "u:admin", description)};
  in.routes.push_back(open_route(Access::public_, Method::get, "/healthz"));
  in.roles = {role("member", {"s:read"})};
  return build(std::move(in));
}

std::string what_of_value(const auto& result) {
  try {
    static_cast<void>(*result);
  } catch (const bad_result_access& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

TEST_CASE("result: reading the value of an error throws bad_result_access naming the error") {
  const Result<int, std::string> failed = unexpected(std::string("the disk is full"));
  CHECK(what_of_value(failed) == "scopegate::Result: value() on an error: the disk is full");
  CHECK_THROWS_AS(failed.value(), std::logic_error);
  Result<int, std::string> moved = unexpected(std::string("gone"));
  CHECK_THROWS_WITH(std::move(moved).value(), "scopegate::Result: value() on an error: gone");

  // An error with a `message` member, and one with its own describe_error().
  const Result<Template, TemplateError> bad_template = parse_template("/a//b");
  REQUIRE_FALSE(bad_template);
  CHECK(what_of_value(bad_template) ==
        "scopegate::Result: value() on an error: " + bad_template.error().message);
  PolicyInput misspelt;
  misspelt.scopes = {scope("s:read")};
  misspelt.roles = {role("member", {"sesions:read"})};
  const auto built = try_build(std::move(misspelt));
  REQUIRE_FALSE(built);
  CHECK(what_of_value(built) ==
        "scopegate::Result: value() on an error: 1 build error; the first: unknown_scope "
        "`sesions:read`");

  const Result<int, std::string> held = 7;
  CHECK(*held == 7);
  CHECK_THROWS_WITH(held.error(), "scopegate::Result: error() on a value");
}

TEST_CASE("result: value_or gives the value, or the fallback for an error") {
  const Result<std::string, int> held = std::string("value");
  const Result<std::string, int> failed = unexpected(3);
  CHECK(held.value_or("fallback") == "value");
  CHECK(failed.value_or("fallback") == "fallback");
  CHECK(Result<std::string, int>(std::string("moved")).value_or("fallback") == "moved");
  CHECK(Result<std::string, int>(unexpected(1)).value_or("fallback") == "fallback");
}

TEST_CASE("principal_for_key_checked: every name that grants a key nothing is reported") {
  const Policy policy = key_policy();
  struct Row {
    const char* note;
    std::vector<std::string> scopes;
    std::vector<std::string> problems;  // ScopeProblem::message(), in order
    std::vector<ScopeProblemKind> kinds;
  };
  const std::vector<Row> rows = {
      {"plain scopes are fine", {"s:read", "s:write"}, {}, {}},
      {"no scope at all is fine", {}, {}, {}},
      {"a misspelt scope, with a suggestion",
       {"s:raed"},
       {"unknown scope: s:raed (did you mean s:read?)"},
       {ScopeProblemKind::unknown}},
      {"an unknown scope far from any",
       {"billing:export"},
       {"unknown scope: billing:export"},
       {ScopeProblemKind::unknown}},
      {"a future scope",
       {"f:next"},
       {"scope f:next is not available yet"},
       {ScopeProblemKind::future}},
      {"a user scope",
       {"u:admin"},
       {"scope u:admin cannot be granted to an API key"},
       {ScopeProblemKind::user_only}},
      {"a user scope is not suggested for a misspelt one",
       {"u:admn"},
       {"unknown scope: u:admn"},
       {ScopeProblemKind::unknown}},
      {"each name once, in the order given",
       {"f:next", "s:read", "nope:x", "f:next", "u:admin"},
       {"scope f:next is not available yet", "unknown scope: nope:x",
        "scope u:admin cannot be granted to an API key"},
       {ScopeProblemKind::future, ScopeProblemKind::unknown, ScopeProblemKind::user_only}},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    const CheckedPrincipal checked = policy.principal_for_key_checked(row.scopes);
    std::vector<std::string> messages;
    std::vector<ScopeProblemKind> kinds;
    for (const ScopeProblem& problem : checked.problems) {
      messages.push_back(problem.message());
      kinds.push_back(problem.kind);
    }
    CHECK(messages == row.problems);
    CHECK(kinds == row.kinds);
    CHECK(checked.ok() == row.problems.empty());
    // The principal is the unchecked one, whatever the problems.
    const Principal unchecked = policy.principal_for_key(row.scopes);
    CHECK(checked.principal.scope_names() == unchecked.scope_names());
    CHECK(checked.principal.scopes() == unchecked.scopes());
    CHECK(checked.principal.kind() == PrincipalKind::api_key);
  }
  const CheckedPrincipal misspelt = policy.principal_for_key_checked({"s:read", "s:wrte"});
  REQUIRE(misspelt.problems.size() == 1);
  CHECK(misspelt.problems[0].name == "s:wrte");
  CHECK(misspelt.problems[0].suggestion == "s:write");
  CHECK(to_string(misspelt.problems[0].kind) == "unknown");
  CHECK(policy.decide(misspelt.principal, "GET", "/s/1").allowed());
  CHECK(policy.decide(misspelt.principal, "POST", "/s").reason() == Reason::missing_scope);
}

TEST_CASE("split_scopes: an OAuth scope string is split at spaces") {
  struct Row {
    const char* text;
    std::vector<std::string_view> names;
  };
  const std::vector<Row> rows = {
      {"", {}},
      {"   ", {}},
      {"s:read", {"s:read"}},
      {"s:read s:write", {"s:read", "s:write"}},
      {"  s:read   s:write ", {"s:read", "s:write"}},
      {"s:read\ts:write", {"s:read\ts:write"}},  // only a space separates (RFC 6749 3.3)
      {"s:read,s:write", {"s:read,s:write"}},
  };
  for (const Row& row : rows) {
    INFO('"' << row.text << '"');
    CHECK(split_scopes(row.text) == row.names);
  }
}

TEST_CASE("principal_for_scope_string: a key from a space-separated scope string") {
  const Policy policy = key_policy();
  const Principal key = policy.principal_for_scope_string(" s:read  s:write");
  CHECK(key.kind() == PrincipalKind::api_key);
  CHECK(key.scope_names() == std::vector<std::string>{"s:read", "s:write"});
  CHECK(policy.decide(key, "GET", "/s/1").allowed());
  CHECK(policy.decide(key, "POST", "/s").allowed());
  const Principal reader = policy.principal_for_scope_string("s:read");
  CHECK(policy.decide(reader, "POST", "/s").reason() == Reason::missing_scope);
  const CheckedPrincipal checked = policy.principal_for_key_checked(split_scopes("s:read s:wirte"));
  REQUIRE(checked.problems.size() == 1);
  CHECK(checked.problems[0].message() == "unknown scope: s:wirte (did you mean s:write?)");
}

TEST_CASE("engine: an empty Engine refuses everything with no_policy until a policy is loaded") {
  Engine engine;
  CHECK_FALSE(engine.has_policy());
  CHECK(engine.policy() == nullptr);
  const Policy earlier = key_policy();
  struct Row {
    const char* note;
    Principal principal;
    const char* method;
    const char* path;
  };
  const std::vector<Row> rows = {
      {"nobody on a public route", Principal{}, "GET", "/healthz"},
      {"a key on its route", earlier.principal_for_key({"s:read"}), "GET", "/s/1"},
      {"a user on a route", earlier.principal_for_role("member"), "GET", "/s/1"},
      {"an invalid path", Principal{}, "GET", "/../x"},
      {"no such route", Principal{}, "GET", "/nothing"},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    const Decision d = engine.decide(row.principal, row.method, row.path);
    CHECK_FALSE(d.allowed());
    CHECK(d.reason() == Reason::no_policy);
    CHECK(d.reason_code() == "no_policy");
    CHECK(d.status() == 503);
    CHECK(d.message() == "No policy is loaded");
    CHECK(d.endpoint() == nullptr);
    CHECK(d.rule() == nullptr);
    CHECK(d.required_scopes().empty());
    CHECK(d.params().empty());
  }
  engine.replace(key_policy());
  REQUIRE(engine.has_policy());
  // A principal built for another policy is rebound by name, as after any replace.
  CHECK(engine.decide(rows[1].principal, "GET", "/s/1").allowed());
  CHECK(engine.decide(Principal{}, "GET", "/healthz").allowed());
}

TEST_CASE("engine: an Engine moves with its policy and leaves an empty one behind") {
  Engine first{key_policy("first")};
  const Principal key = first.policy()->principal_for_key({"s:read"});
  const Decision before = first.decide(key, "GET", "/s/1");
  REQUIRE(before.allowed());

  Engine second{std::move(first)};
  const Decision moved = second.decide(key, "GET", "/s/1");
  CHECK(moved.allowed());
  REQUIRE(moved.endpoint() != nullptr);
  CHECK(moved.endpoint()->description == "first");
  CHECK(before.endpoint() == moved.endpoint());  // the same Policy, not a copy
  CHECK(first.decide(key, "GET", "/s/1").reason() ==
        Reason::no_policy);  // NOLINT(bugprone-use-after-move)

  Engine third{key_policy("third")};
  third = std::move(second);
  const Decision assigned = third.decide(key, "GET", "/s/1");
  REQUIRE(assigned.endpoint() != nullptr);
  CHECK(assigned.endpoint()->description == "first");
  CHECK_FALSE(second.has_policy());  // NOLINT(bugprone-use-after-move)

  // A moved-from Engine is loaded again like a new one.
  first.replace(key_policy("again"));
  const Decision reloaded = first.decide(key, "GET", "/s/1");
  REQUIRE(reloaded.endpoint() != nullptr);
  CHECK(reloaded.endpoint()->description == "again");

  std::vector<Engine> engines;
  engines.emplace_back();
  engines.push_back(std::move(third));
  engines.emplace_back(key_policy("fourth"));
  CHECK(engines[0].decide(key, "GET", "/s/1").reason() == Reason::no_policy);
  CHECK(engines[1].decide(key, "GET", "/s/1").endpoint()->description == "first");
  CHECK(engines[2].decide(key, "GET", "/s/1").endpoint()->description == "fourth");
}
