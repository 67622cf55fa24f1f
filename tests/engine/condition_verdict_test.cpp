// Conditions the principal alone decides. The engine answers `principal.kind ==/!= "..."`,
// `principal.allowed_cidrs ==/!= []`, boolean literals, and whatever `and`, `or` and `not`
// make of them from a table per principal case, without evaluating the rest (and, for a
// forbid rule, without binding its parameters). These tables pin that the answer is the
// one the plain reading of the condition gives, for every kind of principal, with and
// without allowed_cidrs, with the address inside, outside or missing: through grant
// conditions (allowed / condition_failed) and through forbid rules on a path the rule's
// template covers and on one it must compare (forbidden / allowed).
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;
using namespace scopegate::test::cond;

namespace {

using Op = CompareOp;

// One request situation: who asks, and what the request carries.
struct Situation {
  PrincipalKind kind;
  bool fenced;                    // the principal has allowed_cidrs (10.0.0.0/8)
  std::optional<const char*> ip;  // request.ip
  bool flagged;                   // the query has x=1
};

std::vector<Situation> every_situation() {
  std::vector<Situation> out;
  for (const PrincipalKind kind :
       {PrincipalKind::anonymous, PrincipalKind::api_key, PrincipalKind::user}) {
    for (const bool fenced : {false, true}) {
      for (const std::optional<const char*> ip :
           {std::optional<const char*>{}, std::optional<const char*>{"10.1.2.3"},
            std::optional<const char*>{"192.0.2.1"}}) {
        for (const bool flagged : {false, true}) out.push_back({kind, fenced, ip, flagged});
      }
    }
  }
  return out;
}

std::string describe_situation(const Situation& s) {
  std::string out = s.kind == PrincipalKind::anonymous ? "anonymous"
                    : s.kind == PrincipalKind::api_key ? "key"
                                                       : "user";
  out += s.fenced ? ", allowed_cidrs [10.0.0.0/8]" : ", no allowed_cidrs";
  out += s.ip ? std::string(", ip ") + *s.ip : std::string(", no ip");
  out += s.flagged ? ", ?x=1" : "";
  return out;
}

// A condition and what it means, written out in C++: the oracle.
struct Expr {
  ConditionSpec spec;
  std::function<bool(const Situation&)> holds;
};

bool ip_inside(const Situation& s) { return s.fenced && s.ip && std::string(*s.ip) == "10.1.2.3"; }

std::vector<Expr> atoms() {
  const auto kind_is = [](PrincipalKind k) {
    return [k](const Situation& s) { return s.kind == k; };
  };
  return {
      {cmp(attr("principal.kind"), Op::eq, str("api_key")), kind_is(PrincipalKind::api_key)},
      {cmp(str("user"), Op::eq, attr("principal.kind")), kind_is(PrincipalKind::user)},
      {cmp(attr("principal.kind"), Op::ne, str("anonymous")),
       [](const Situation& s) { return s.kind != PrincipalKind::anonymous; }},
      {cmp(attr("principal.kind"), Op::eq, str("robot")), [](const Situation&) { return false; }},
      {cmp(attr("principal.kind"), Op::ne, str("robot")), [](const Situation&) { return true; }},
      {cmp(attr("principal.allowed_cidrs"), Op::ne, list({})),
       [](const Situation& s) { return s.fenced; }},
      {cmp(list({}), Op::eq, attr("principal.allowed_cidrs")),
       [](const Situation& s) { return !s.fenced; }},
      // Not decided by the principal alone.
      {in(attr("request.ip"), attr("principal.allowed_cidrs")), ip_inside},
      {cmp(query("x"), Op::eq, str("1")), [](const Situation& s) { return s.flagged; }},
      {in(attr("principal.kind"), list({str("api_key"), str("anonymous")})),
       [](const Situation& s) { return s.kind != PrincipalKind::user; }},
      {boolean(true), [](const Situation&) { return true; }},
      {boolean(false), [](const Situation&) { return false; }},
  };
}

Expr negate(const Expr& e) {
  return {not_(e.spec), [h = e.holds](const Situation& s) { return !h(s); }};
}

Expr both(std::vector<Expr> operands) {
  std::vector<ConditionSpec> specs;
  std::vector<std::function<bool(const Situation&)>> tests;
  for (Expr& e : operands) {
    specs.push_back(std::move(e.spec));
    tests.push_back(std::move(e.holds));
  }
  return {all(std::move(specs)), [tests](const Situation& s) {
            for (const auto& t : tests) {
              if (!t(s)) return false;
            }
            return true;
          }};
}

Expr either(std::vector<Expr> operands) {
  std::vector<ConditionSpec> specs;
  std::vector<std::function<bool(const Situation&)>> tests;
  for (Expr& e : operands) {
    specs.push_back(std::move(e.spec));
    tests.push_back(std::move(e.holds));
  }
  return {any(std::move(specs)), [tests](const Situation& s) {
            for (const auto& t : tests) {
              if (t(s)) return true;
            }
            return false;
          }};
}

// Every atom and its negation, every pair of those under `and` and `or`, and three-level
// trees (a pair nested in a pair, with `not` on the outside).
std::vector<Expr> every_expression() {
  std::vector<Expr> level1;
  for (const Expr& atom : atoms()) {
    level1.push_back(atom);
    level1.push_back(negate(atom));
  }
  std::vector<Expr> out = level1;
  for (const Expr& a : level1) {
    for (const Expr& b : level1) {
      out.push_back(both({a, b}));
      out.push_back(either({a, b}));
    }
  }
  const std::vector<Expr> base = atoms();
  for (std::size_t i = 0; i < base.size(); ++i) {
    for (std::size_t j = 0; j < base.size(); ++j) {
      const Expr& a = base[i];
      const Expr& b = base[j];
      const Expr& c = base[(i + j + 1) % base.size()];
      out.push_back(negate(both({a, either({negate(b), c})})));
      out.push_back(either({both({a, b, negate(c)}), negate(either({b, c}))}));
    }
  }
  return out;
}

// Endpoints: `GET /g/{id}` granted by g:use only while the condition holds; public
// `GET /p/{id}` and `GET /q/{id}`, refused by forbid rules with the same condition on
// `GET /p/{id}` (covers the endpoint) and `GET /q/7` (compared with the path).
Policy policy_for(const ConditionSpec& condition) {
  PolicyInput input;
  input.scopes = {scope("g:use")};
  input.routes = {when(route(Method::get, "/g/{id}", "g:use"), condition, at("v.policy", 2, 1)),
                  open_route(Access::public_, Method::get, "/p/{id}"),
                  open_route(Access::public_, Method::get, "/q/{id}")};
  input.roles = {role("member", {"g:use"})};
  input.forbids = {forbid(Method::get, "/p/{id}", condition, "refused p", at("v.policy", 5, 1)),
                   forbid(Method::get, "/q/7", condition, "refused q", at("v.policy", 8, 1))};
  return build(std::move(input));
}

Principal principal_for(const Policy& policy, const Situation& s) {
  Principal principal;
  if (s.kind == PrincipalKind::api_key) principal = policy.principal_for_key({"g:use"});
  if (s.kind == PrincipalKind::user) principal = policy.principal_for_role("member");
  if (s.fenced) principal.set_allowed_cidrs({*parse_cidr("10.0.0.0/8")});
  return principal;
}

Decision decide(const Policy& policy, const Principal& principal, const Situation& s,
                std::string_view path) {
  std::string target(path);
  if (s.flagged) target += "?x=1";
  Request request{"GET", target, std::nullopt, {}, std::nullopt};
  if (s.ip) request.ip = parse_ip(*s.ip);
  Decision d = policy.decide(principal, request);
  return d;
}

// What is wrong with `policy`'s decisions for one situation, or empty.
std::string check_situation(const Policy& policy, const Situation& s, bool holds) {
  const Principal principal = principal_for(policy, s);
  std::string problems;
  const auto expect = [&](std::string_view path, Reason reason, std::string_view message) {
    const Decision d = decide(policy, principal, s, path);
    if (d.reason() != reason || d.message() != message) {
      problems += std::string(path) + " gave " + scopegate::test::describe(d) + "; ";
    }
  };
  if (s.kind == PrincipalKind::anonymous) {
    expect("/g/1", Reason::unauthenticated, "Authentication required");
  } else if (holds) {
    expect("/g/1", Reason::allowed, "Allowed");
  } else {
    expect("/g/1", Reason::condition_failed, policy.endpoints()[0].grants[0].condition->message);
  }
  expect("/p/1", holds ? Reason::forbidden : Reason::allowed, holds ? "refused p" : "Allowed");
  expect("/q/7", holds ? Reason::forbidden : Reason::allowed, holds ? "refused q" : "Allowed");
  expect("/q/8", Reason::allowed, "Allowed");
  return problems;
}

}  // namespace

TEST_CASE("engine: conditions the principal alone decides give what the condition says") {
  const std::vector<Situation> situations = every_situation();
  std::size_t checked = 0;
  for (const Expr& e : every_expression()) {
    const Policy policy = policy_for(e.spec);
    for (const Situation& s : situations) {
      const std::string problems = check_situation(policy, s, e.holds(s));
      INFO("when " << render(e.spec) << " for " << describe_situation(s) << ": " << problems);
      if (!problems.empty()) CHECK(problems.empty());
      ++checked;
    }
  }
  CHECK(checked > 30'000);
}

TEST_CASE("engine: the shipped allowed_cidrs forbid rule in every situation, alone and nested") {
  const Expr fenced_key = both({atoms()[0], atoms()[5], negate(atoms()[7])});
  struct Row {
    const char* note;
    Expr condition;
  };
  const std::vector<Row> rows = {
      {"as shipped", fenced_key},
      {"under not not", negate(negate(fenced_key))},
      {"or false", either({fenced_key, atoms()[11]})},
      {"and true", both({atoms()[10], fenced_key})},
      {"or the query flag", either({atoms()[8], fenced_key})},
      {"nested inside another and", both({atoms()[2], fenced_key})},
  };
  for (const Row& row : rows) {
    const Policy policy = policy_for(row.condition.spec);
    for (const Situation& s : every_situation()) {
      const bool holds = row.condition.holds(s);
      INFO(row.note << ": when " << render(row.condition.spec) << " for " << describe_situation(s));
      CHECK(check_situation(policy, s, holds).empty());
    }
  }
  // The oracle itself, for the rule as shipped: only a fenced key from outside or from
  // no address is refused.
  for (const Situation& s : every_situation()) {
    INFO(describe_situation(s));
    CHECK(fenced_key.holds(s) == (s.kind == PrincipalKind::api_key && s.fenced &&
                                  (!s.ip || std::string(*s.ip) != "10.1.2.3")));
  }
}
