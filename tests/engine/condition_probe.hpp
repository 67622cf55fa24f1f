// The probe the condition tests share: a policy that grants `* /c/{id}/**` through c:use
// only while the condition under test holds, so that "allowed" reads as true and
// condition_failed as false, and a table runner for rows of (condition, request, expected).
// Test-only.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"

namespace scopegate::test::probe {

using namespace scopegate::test::cond;

using Op = CompareOp;
using Kind = BuildError::Kind;
using Subject = BuildError::Subject;

inline constexpr std::int64_t feb_18_2026_10_30 = 1771410600;  // 2026-02-18T10:30:00Z

// Who asks and what they send. The probe policy grants `* /c/{id}/**` through c:use
// only while the condition under test holds, so allowed means "true" and
// condition_failed means "false".
struct Probe {
  PrincipalKind kind = PrincipalKind::api_key;
  std::vector<std::string> scopes = {"c:use"};  // for a key
  std::string role = "member";                  // for a user
  std::string id = {};
  std::string name = {};
  std::string org = {};
  std::vector<std::string> cidrs = {};
  std::string method = "GET";
  std::string target = "/c/42";
  std::optional<std::string> ip = std::nullopt;
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::optional<std::int64_t> time = std::nullopt;
};

inline PolicyInput probe_input(std::optional<ConditionSpec> condition) {
  PolicyInput in;
  in.scopes = {scope("c:use"), scope("c:other"), scope("c:admin", ScopeKind::plain, {"c:other"}),
               scope("c:spare")};
  RouteSpec granted = route(Method::any, "/c/{id}/**", "c:use");
  in.routes = {condition
                   ? when(std::move(granted), std::move(*condition), at("probe.policy", 3, 20))
                   : std::move(granted)};
  in.roles = {role("member", {"c:use"}), role("admin", {"c:use", "c:admin"})};
  return in;
}

inline Principal principal_for(const Policy& policy, const Probe& probe) {
  Principal principal;
  if (probe.kind == PrincipalKind::api_key) principal = policy.principal_for_key(probe.scopes);
  if (probe.kind == PrincipalKind::user) principal = policy.principal_for_role(probe.role);
  principal.set_identity(probe.id, probe.name, probe.org);
  std::vector<Cidr> cidrs;
  for (const std::string& text : probe.cidrs) {
    const auto parsed = parse_cidr(text);
    REQUIRE(parsed.has_value());
    cidrs.push_back(*parsed);
  }
  principal.set_allowed_cidrs(std::move(cidrs));
  return principal;
}

// Decides `probe` against `policy`; `headers` keeps the Header views alive.
inline Decision decide_probe(const Policy& policy, const Probe& probe,
                             std::vector<Header>& headers) {
  for (const auto& [name, value] : probe.headers) headers.push_back({name, value});
  Request request;
  request.method = probe.method;
  request.target = probe.target;
  if (probe.ip) {
    request.ip = parse_ip(*probe.ip);
    REQUIRE(request.ip.has_value());
  }
  request.headers = headers;
  request.time = probe.time;
  return policy.decide(principal_for(policy, probe), request);
}

// Does a forbid rule `forbid * /c/** when condition` refuse `probe` (granted otherwise)?
inline bool forbids(const ConditionSpec& condition, const Probe& probe) {
  PolicyInput in = probe_input(std::nullopt);
  in.forbids = {forbid(Method::any, "/c/**", condition)};
  const Policy policy = build(std::move(in));
  std::vector<Header> headers;
  const Decision d = decide_probe(policy, probe, headers);
  INFO(describe(d));
  REQUIRE((d.reason() == Reason::allowed || d.reason() == Reason::forbidden));
  return d.reason() == Reason::forbidden;
}

// Does `condition` hold for `probe`?
inline bool holds(const ConditionSpec& condition, const Probe& probe) {
  const Policy policy = build(probe_input(condition));
  std::vector<Header> headers;
  const Decision d = decide_probe(policy, probe, headers);
  INFO(describe(d));
  REQUIRE((d.reason() == Reason::allowed || d.reason() == Reason::condition_failed));
  return d.allowed();
}

struct Row {
  const char* note;
  ConditionSpec condition;
  Probe probe;
  bool expected;
};

inline void check_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    INFO(row.note << ": when " << render(row.condition) << " (" << row.probe.method << " "
                  << row.probe.target << ")");
    CHECK(holds(row.condition, row.probe) == row.expected);
  }
}

}  // namespace scopegate::test::probe
