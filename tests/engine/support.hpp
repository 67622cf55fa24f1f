// Helpers shared by the engine tests: terse builders for PolicyBuilder input and a
// readable rendering of build errors and decisions for failure messages.
// Test-only; not thread-safe beyond what the engine itself guarantees.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/engine.hpp"

namespace scopegate::test {

inline ScopeSpec scope(std::string name, ScopeKind kind = ScopeKind::plain,
                       std::vector<std::string> implies = {}) {
  ScopeSpec spec;
  spec.name = std::move(name);
  spec.kind = kind;
  spec.implies = std::move(implies);
  return spec;
}

inline RouteSpec route(Method method, std::string path_template, std::string granting_scope,
                       std::string description = {}) {
  RouteSpec spec;
  spec.method = method;
  spec.path_template = std::move(path_template);
  spec.scope = std::move(granting_scope);
  spec.description = std::move(description);
  spec.access = Access::scoped;
  return spec;
}

inline RouteSpec open_route(Access access, Method method, std::string path_template,
                            std::string description = {}) {
  RouteSpec spec;
  spec.method = method;
  spec.path_template = std::move(path_template);
  spec.description = std::move(description);
  spec.access = access;
  return spec;
}

inline RoleSpec role(std::string name, std::vector<std::string> scopes) {
  RoleSpec spec;
  spec.name = std::move(name);
  spec.scopes = std::move(scopes);
  return spec;
}

inline RoleSpec all_scopes_role(std::string name) {
  RoleSpec spec;
  spec.name = std::move(name);
  spec.all_scopes = true;
  return spec;
}

struct PolicyInput {
  std::vector<ScopeSpec> scopes;
  std::vector<RouteSpec> routes;
  std::vector<RoleSpec> roles;
};

inline std::string_view to_string(BuildError::Kind kind) {
  using Kind = BuildError::Kind;
  switch (kind) {
    case Kind::bad_scope_name: return "bad_scope_name";
    case Kind::duplicate_scope: return "duplicate_scope";
    case Kind::unknown_scope: return "unknown_scope";
    case Kind::implies_cycle: return "implies_cycle";
    case Kind::future_scope_routes: return "future_scope_routes";
    case Kind::bad_template: return "bad_template";
    case Kind::duplicate_route: return "duplicate_route";
    case Kind::route_tie: return "route_tie";
    case Kind::access_conflict: return "access_conflict";
    case Kind::plain_covers_user: return "plain_covers_user";
    case Kind::duplicate_role: return "duplicate_role";
  }
  return "?";
}

inline std::string_view to_string(BuildError::Subject subject) {
  switch (subject) {
    case BuildError::Subject::scope: return "scope";
    case BuildError::Subject::route: return "route";
    case BuildError::Subject::role: return "role";
  }
  return "?";
}

inline std::string describe(const std::vector<BuildError>& errors) {
  std::ostringstream out;
  for (const BuildError& e : errors) {
    out << to_string(e.kind) << " " << to_string(e.subject) << " first=" << e.first
        << " second=" << e.second << " detail='" << e.detail << "'";
    if (!e.template_error.message.empty()) out << " template: " << e.template_error.message;
    out << "\n";
  }
  return out.str();
}

inline Result<Policy, std::vector<BuildError>> try_build(PolicyInput input) {
  PolicyBuilder builder;
  for (ScopeSpec& s : input.scopes) builder.add_scope(std::move(s));
  for (RouteSpec& r : input.routes) builder.add_route(std::move(r));
  for (RoleSpec& r : input.roles) builder.add_role(std::move(r));
  return std::move(builder).build();
}

// Builds a policy that must be valid; fails the test with every error otherwise.
inline Policy build(PolicyInput input) {
  auto built = try_build(std::move(input));
  if (!built) FAIL("policy did not build:\n" << describe(built.error()));
  return std::move(built).value();
}

inline std::string describe(const Decision& d) {
  std::ostringstream out;
  out << "reason=" << d.reason_code() << " status=" << d.status() << " message='"
      << d.message() << "'";
  if (d.endpoint() != nullptr) {
    out << " endpoint=" << to_string(d.endpoint()->method) << " "
        << d.endpoint()->path_template;
  }
  if (auto by = d.granted_by()) out << " granted_by=" << *by;
  if (!d.allowed_methods().empty()) out << " allow='" << d.allowed_methods() << "'";
  return out.str();
}

inline std::vector<std::string> to_vector(std::span<const std::string> names) {
  return {names.begin(), names.end()};
}

// Splits an `Allow` header value ("GET, POST") into sorted method names.
inline std::vector<std::string> split_allow(std::string_view allow) {
  std::vector<std::string> out;
  while (!allow.empty()) {
    const std::size_t comma = allow.find(',');
    std::string_view item = allow.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    allow.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline constexpr std::string_view key_unsupported_message =
    "API key authentication is not supported for this endpoint";

}  // namespace scopegate::test
