// Conditions in decisions: condition_failed when every held grant's condition fails,
// conditional wildcard and user-only grants, and principals of another policy.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "condition_probe.hpp"

using namespace scopegate;
using namespace scopegate::test;
using namespace scopegate::test::cond;
using namespace scopegate::test::probe;

TEST_CASE("engine: condition_failed when every held grant's condition fails") {
  PolicyInput in;
  in.scopes = {scope("audit:read"), scope("audit:all"), scope("logs:read"), scope("audit:tight")};
  RouteSpec capped = route(Method::get, "/api/v1/audit-logs", "audit:read", "List audit logs");
  capped.location = at("api.policy", 10, 3);
  RouteSpec tight = route(Method::get, "/api/v1/audit-logs", "audit:tight");
  tight.location = at("api.policy", 20, 3);
  RouteSpec open = route(Method::get, "/api/v1/audit-logs", "audit:all");
  open.location = at("api.policy", 30, 3);
  in.routes = {
      when(std::move(capped), cmp(query("size"), Op::le, num(100)), at("api.policy", 10, 42)),
      when(std::move(tight), cmp(query("size"), Op::le, num(10)), at("api.policy", 20, 42)),
      std::move(open),
      route(Method::get, "/api/v1/logs", "logs:read"),
  };
  in.roles = {role("auditor", {"audit:read"})};
  const Policy policy = build(std::move(in));
  const Principal capped_key = policy.principal_for_key({"audit:read"});
  const Principal tight_key = policy.principal_for_key({"audit:tight"});
  const Principal both_key = policy.principal_for_key({"audit:tight", "audit:read"});
  const Principal open_key = policy.principal_for_key({"audit:read", "audit:all"});
  const Principal logs_key = policy.principal_for_key({"logs:read"});
  const Principal auditor = policy.principal_for_role("auditor");

  SECTION("a held grant whose condition holds allows, and is the deciding rule") {
    const Decision d = policy.decide(capped_key, "GET", "/api/v1/audit-logs?size=50");
    INFO(describe(d));
    REQUIRE(d.allowed());
    CHECK(d.granted_by() == "audit:read");
    REQUIRE(d.rule() != nullptr);
    CHECK(*d.rule() == at("api.policy", 10, 3));
    CHECK(d.failed_grant() == nullptr);
    CHECK(d.forbid() == nullptr);
  }
  SECTION("the only held grant fails: condition_failed, naming the condition") {
    for (const Principal* who : {&capped_key, &auditor}) {
      for (const char* target :
           {"/api/v1/audit-logs?size=500", "/api/v1/audit-logs", "/api/v1/audit-logs?size=lots"}) {
        INFO(target);
        const Decision d = policy.decide(*who, "GET", target);
        INFO(describe(d));
        CHECK(d.reason() == Reason::condition_failed);
        CHECK(d.reason_code() == "condition_failed");
        CHECK(d.status() == 403);
        CHECK_FALSE(d.allowed());
        CHECK(d.message() == "Condition not met: request.query.size <= 100");
        REQUIRE(d.failed_grant() != nullptr);
        CHECK(policy.scopes()[d.failed_grant()->scope].name == "audit:read");
        CHECK(d.failed_grant()->condition->text == "request.query.size <= 100");
        CHECK(d.failed_grant()->condition->location == at("api.policy", 10, 42));
        CHECK(d.failed_grant()->location == at("api.policy", 10, 3));
        CHECK(d.failed_grant()->has_condition());
        REQUIRE(d.rule() != nullptr);
        CHECK(*d.rule() == at("api.policy", 10, 42));
        CHECK_FALSE(d.granted_by().has_value());
        CHECK(d.forbid() == nullptr);
        REQUIRE(d.endpoint() != nullptr);
        CHECK(d.endpoint()->description == "List audit logs");
      }
    }
  }
  SECTION("of several failing held grants, the first in policy order is named") {
    const Decision d = policy.decide(both_key, "GET", "/api/v1/audit-logs?size=500");
    INFO(describe(d));
    CHECK(d.reason() == Reason::condition_failed);
    REQUIRE(d.failed_grant() != nullptr);
    CHECK(d.failed_grant()->condition->location == at("api.policy", 10, 42));
    const Decision tight_only = policy.decide(tight_key, "GET", "/api/v1/audit-logs?size=50");
    INFO(describe(tight_only));
    CHECK(tight_only.reason() == Reason::condition_failed);
    CHECK(tight_only.message() == "Condition not met: request.query.size <= 10");
    REQUIRE(tight_only.failed_grant() != nullptr);
    CHECK(tight_only.failed_grant()->condition->location == at("api.policy", 20, 42));
  }
  SECTION("one held grant that holds is enough, even after one that fails") {
    const Decision d = policy.decide(both_key, "GET", "/api/v1/audit-logs?size=50");
    INFO(describe(d));
    REQUIRE(d.allowed());
    CHECK(d.granted_by() == "audit:read");
    CHECK(d.failed_grant() == nullptr);
  }
  SECTION("a second grant without a condition still allows") {
    for (const char* target : {"/api/v1/audit-logs?size=500", "/api/v1/audit-logs"}) {
      INFO(target);
      const Decision d = policy.decide(open_key, "GET", target);
      INFO(describe(d));
      REQUIRE(d.allowed());
      CHECK(d.granted_by() == "audit:all");
      REQUIRE(d.rule() != nullptr);
      CHECK(*d.rule() == at("api.policy", 30, 3));
      CHECK(d.failed_grant() == nullptr);
    }
  }
  SECTION("no held grant at all stays missing_scope") {
    const Decision d = policy.decide(logs_key, "GET", "/api/v1/audit-logs?size=500");
    INFO(describe(d));
    CHECK(d.reason() == Reason::missing_scope);
    CHECK(d.failed_grant() == nullptr);
    CHECK(d.message().find("audit:read") != std::string_view::npos);
  }
  SECTION("the grants carry their conditions") {
    const Endpoint* endpoint = policy.find_endpoint(Method::get, "/api/v1/audit-logs");
    REQUIRE(endpoint != nullptr);
    REQUIRE(endpoint->grants.size() == 3);
    CHECK(endpoint->grants[0].has_condition());
    CHECK(endpoint->grants[0].condition->message == "Condition not met: request.query.size <= 100");
    CHECK(endpoint->grants[1].has_condition());
    CHECK_FALSE(endpoint->grants[2].has_condition());
    CHECK(endpoint->grants[2].condition == nullptr);
  }
}

TEST_CASE("engine: a conditional wildcard grant and a user-only conditional grant") {
  PolicyInput in;
  in.scopes = {scope("w:all"), scope("w:one"), scope("u:manage", ScopeKind::user)};
  in.routes = {
      when(route(Method::get, "/w/**", "w:all"), cmp(header("x-internal"), Op::eq, str("yes")),
           at("w.policy", 2, 30)),
      route(Method::get, "/w/{id}", "w:one"),
      when(route(Method::get, "/u", "u:manage"), cmp(attr("principal.org"), Op::eq, str("acme")),
           at("w.policy", 5, 30)),
  };
  in.roles = {role("manager", {"u:manage"})};
  const Policy policy = build(std::move(in));
  const Principal wild = policy.principal_for_key({"w:all"});
  const std::vector<Header> internal = {{"X-Internal", "yes"}};

  Request request{"GET", "/w/7", std::nullopt, internal, std::nullopt};
  const Decision allowed = policy.decide(wild, request);
  INFO(describe(allowed));
  CHECK(allowed.allowed());
  CHECK(allowed.granted_by() == "w:all");
  CHECK(allowed.param("id") == "7");

  const Decision failed = policy.decide(wild, "GET", "/w/7");
  INFO(describe(failed));
  CHECK(failed.reason() == Reason::condition_failed);
  REQUIRE(failed.failed_grant() != nullptr);
  CHECK(failed.failed_grant()->path_template == "/w/**");
  REQUIRE(failed.rule() != nullptr);
  CHECK(*failed.rule() == at("w.policy", 2, 30));

  // A key never counts a user scope, so its condition is never the reason.
  Principal key = policy.principal_for_key({"u:manage"});
  key.set_identity("k", "key", "globex");
  const Decision key_refused = policy.decide(key, "GET", "/u");
  INFO(describe(key_refused));
  CHECK(key_refused.reason() == Reason::api_key_not_supported);
  CHECK(key_refused.failed_grant() == nullptr);

  Principal manager = policy.principal_for_role("manager");
  manager.set_identity("u-1", "Ann", "globex");
  const Decision user_refused = policy.decide(manager, "GET", "/u");
  INFO(describe(user_refused));
  CHECK(user_refused.reason() == Reason::condition_failed);
  manager.set_identity("u-1", "Ann", "acme");
  CHECK(policy.decide(manager, "GET", "/u").allowed());
}

TEST_CASE("engine: a principal of another policy holds no scope in conditions") {
  // Bits of another policy mean nothing here: fail closed, before any condition.
  const Policy first = build(probe_input(in(str("c:use"), attr("principal.scopes"))));
  const Policy second = build(probe_input(in(str("c:use"), attr("principal.scopes"))));
  const Principal stale = first.principal_for_key({"c:use"});
  CHECK(first.decide(stale, "GET", "/c/1").allowed());
  const Decision d = second.decide(stale, "GET", "/c/1");
  INFO(describe(d));
  CHECK_FALSE(d.allowed());
  CHECK(second.decide(second.rebind(stale), "GET", "/c/1").allowed());
}
