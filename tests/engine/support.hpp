// Helpers shared by the engine tests: terse builders for PolicyBuilder input and a
// readable rendering of build errors and decisions for failure messages.
// Test-only; not thread-safe beyond what the engine itself guarantees.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
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

// A decision's bound path parameters as (name, value) pairs in template order, to compare
// with a table row in one CHECK (Catch2 prints pairs as {?}: INFO(describe(d)) shows them).
inline std::vector<std::pair<std::string, std::string>> bound_params(const Decision& decision) {
  std::vector<std::pair<std::string, std::string>> bound;
  for (const PathParam& param : decision.params()) bound.emplace_back(param.name, param.value);
  return bound;
}

// `file` must outlive the location (a string literal does).
inline SourceLocation at(std::string_view file, std::uint32_t line, std::uint32_t column) {
  return SourceLocation{file, line, column};
}

// Terse ConditionSpec builders: cmp(attr("request.query.size"), CompareOp::le, num(100)).
namespace cond {

inline ConditionSpec node(ConditionSpec::Kind kind) {
  ConditionSpec spec;
  spec.kind = kind;
  return spec;
}

inline ConditionSpec attr(std::string name) {
  ConditionSpec spec = node(ConditionSpec::Kind::attribute);
  spec.text = std::move(name);
  return spec;
}

// request.query.KEY and request.header.KEY.
inline ConditionSpec query(std::string key) { return attr("request.query." + key); }
inline ConditionSpec header(std::string key) { return attr("request.header." + key); }

inline ConditionSpec str(std::string text) {
  ConditionSpec spec = node(ConditionSpec::Kind::string_literal);
  spec.text = std::move(text);
  return spec;
}

inline ConditionSpec num(std::int64_t value) {
  ConditionSpec spec = node(ConditionSpec::Kind::integer_literal);
  spec.integer = value;
  return spec;
}

inline ConditionSpec boolean(bool value) {
  ConditionSpec spec = node(ConditionSpec::Kind::boolean_literal);
  spec.boolean = value;
  return spec;
}

inline ConditionSpec ip(std::string text) {
  ConditionSpec spec = node(ConditionSpec::Kind::ip_literal);
  spec.text = std::move(text);
  return spec;
}

inline ConditionSpec cidr(std::string text) {
  ConditionSpec spec = node(ConditionSpec::Kind::cidr_literal);
  spec.text = std::move(text);
  return spec;
}

inline ConditionSpec list(std::vector<ConditionSpec> items) {
  ConditionSpec spec = node(ConditionSpec::Kind::list_literal);
  spec.children = std::move(items);
  return spec;
}

inline ConditionSpec cmp(ConditionSpec left, CompareOp op, ConditionSpec right) {
  ConditionSpec spec = node(ConditionSpec::Kind::compare);
  spec.op = op;
  spec.children.push_back(std::move(left));
  spec.children.push_back(std::move(right));
  return spec;
}

inline ConditionSpec in(ConditionSpec left, ConditionSpec right) {
  ConditionSpec spec = node(ConditionSpec::Kind::in);
  spec.children.push_back(std::move(left));
  spec.children.push_back(std::move(right));
  return spec;
}

inline ConditionSpec not_(ConditionSpec operand) {
  ConditionSpec spec = node(ConditionSpec::Kind::not_);
  spec.children.push_back(std::move(operand));
  return spec;
}

inline ConditionSpec all(std::vector<ConditionSpec> operands) {
  ConditionSpec spec = node(ConditionSpec::Kind::and_);
  spec.children = std::move(operands);
  return spec;
}

inline ConditionSpec any(std::vector<ConditionSpec> operands) {
  ConditionSpec spec = node(ConditionSpec::Kind::or_);
  spec.children = std::move(operands);
  return spec;
}

inline ConditionSpec tagged(ConditionSpec spec, std::uint32_t tag) {
  spec.tag = tag;
  return spec;
}

// `open` + `inner` + `close`, appended in place (g++ 12 at -O3 warns, a false
// positive of -Wrestrict, on "x" + std::string&&).
inline std::string enclosed(std::string_view open, const std::string& inner,
                            std::string_view close) {
  std::string out(open);
  out.append(inner).append(close);
  return out;
}

// The condition as the policy language would write it (for condition_text).
inline std::string render(const ConditionSpec& spec) {
  using K = ConditionSpec::Kind;
  const auto wrapped = [](const ConditionSpec& child) {
    const bool compound = child.kind == K::and_ || child.kind == K::or_ ||
                          child.kind == K::compare || child.kind == K::in;
    return compound ? enclosed("(", render(child), ")") : render(child);
  };
  const auto join = [&](std::string_view separator) {
    std::string out;
    for (const ConditionSpec& child : spec.children) {
      if (!out.empty()) out += separator;
      out += child.kind == K::and_ || child.kind == K::or_ ? enclosed("(", render(child), ")")
                                                           : render(child);
    }
    return out;
  };
  switch (spec.kind) {
    case K::string_literal:
      return "\"" + spec.text + "\"";
    case K::integer_literal:
      return std::to_string(spec.integer);
    case K::boolean_literal:
      return spec.boolean ? "true" : "false";
    case K::ip_literal:
    case K::cidr_literal:
    case K::attribute:
      return spec.text;
    case K::list_literal:
      return enclosed("[", join(", "), "]");
    case K::compare:
    case K::in: {
      if (spec.children.size() != 2) return "<malformed>";
      const std::string op = spec.kind == K::in ? "in" : std::string(to_string(spec.op));
      return render(spec.children[0]) + " " + op + " " + render(spec.children[1]);
    }
    case K::not_:
      return spec.children.empty() ? "not <malformed>"
                                   : enclosed("not ", wrapped(spec.children[0]), "");
    case K::and_:
      return join(" and ");
    case K::or_:
      return join(" or ");
  }
  return "?";
}

}  // namespace cond

// A scoped route that counts only while `condition` holds.
inline RouteSpec when(RouteSpec spec, ConditionSpec condition, SourceLocation location = {}) {
  spec.condition_text = cond::render(condition);
  spec.condition = std::move(condition);
  spec.condition_location = std::move(location);
  return spec;
}

inline ForbidSpec forbid(Method method, std::string path_template,
                         std::optional<ConditionSpec> condition = std::nullopt,
                         std::string message = {}, SourceLocation location = {}) {
  ForbidSpec spec;
  spec.method = method;
  spec.path_template = std::move(path_template);
  if (condition) spec.condition_text = cond::render(*condition);
  spec.condition = std::move(condition);
  spec.message = std::move(message);
  spec.location = std::move(location);
  return spec;
}

struct PolicyInput {
  std::vector<ScopeSpec> scopes;
  std::vector<RouteSpec> routes;
  std::vector<RoleSpec> roles;
  std::vector<ForbidSpec> forbids = {};
};

// to_string(BuildError::Kind) is the engine's (policy_builder.hpp).
inline std::string_view to_string(BuildError::Subject subject) {
  switch (subject) {
    case BuildError::Subject::scope:
      return "scope";
    case BuildError::Subject::route:
      return "route";
    case BuildError::Subject::role:
      return "role";
    case BuildError::Subject::forbid:
      return "forbid";
  }
  return "?";
}

inline std::string describe(const std::vector<BuildError>& errors) {
  std::ostringstream out;
  for (const BuildError& e : errors) {
    out << to_string(e.kind) << " " << to_string(e.subject) << " first=" << e.first
        << " second=" << e.second << " detail='" << e.detail << "'";
    if (!e.template_error.message.empty()) out << " template: " << e.template_error.message;
    if (e.kind == BuildError::Kind::bad_condition) {
      out << " tag=" << e.condition_tag << " help='" << e.help << "'";
    }
    out << "\n";
  }
  return out.str();
}

inline Result<Policy, std::vector<BuildError>> try_build(PolicyInput input) {
  PolicyBuilder builder;
  for (ScopeSpec& s : input.scopes) builder.add_scope(std::move(s));
  for (RouteSpec& r : input.routes) builder.add_route(std::move(r));
  for (RoleSpec& r : input.roles) builder.add_role(std::move(r));
  for (ForbidSpec& f : input.forbids) builder.add_forbid(std::move(f));
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
  out << "reason=" << d.reason_code() << " status=" << d.status() << " message='" << d.message()
      << "'";
  if (d.endpoint() != nullptr) {
    out << " endpoint=" << to_string(d.endpoint()->method) << " " << d.endpoint()->path_template;
  }
  if (auto by = d.granted_by()) out << " granted_by=" << *by;
  if (!d.allowed_methods().empty()) out << " allow='" << d.allowed_methods() << "'";
  for (const PathParam& param : d.params())
    out << " param " << param.name << "='" << param.value << "'";
  return out.str();
}

inline std::vector<std::string> to_vector(std::span<const std::string_view> names) {
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
