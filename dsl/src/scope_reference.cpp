// scope_reference(): what the page says is collected from the policy, then rendered.
#include "scopegate/dsl/scope_reference.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "scope_reference_model.hpp"

namespace scopegate {

namespace docs {

std::string route_of(const Endpoint& endpoint) {
  return fmt::format("{} {}", to_string(endpoint.method), endpoint.path_template);
}

std::string role_scopes_text(const RoleDoc& role,
                             const std::function<std::string(std::string_view)>& code) {
  if (role.all_scopes) return "every scope";
  const auto names = [&code](const std::vector<std::string>& list) {
    std::string joined;
    for (const std::string& name : list) joined += (joined.empty() ? "" : ", ") + code(name);
    return joined;
  };
  std::string text = role.listed.empty() ? std::string("no scope") : names(role.listed);
  if (!role.implied.empty()) text += "; through implies: " + names(role.implied);
  return text;
}

namespace {

RouteDoc route_doc(const Endpoint& endpoint) {
  return RouteDoc{route_of(endpoint), std::string(endpoint.description), {}};
}

// The endpoints `scope` grants, in policy order, with the conditions of its grants.
std::vector<RouteDoc> routes_of(const Policy& policy, ScopeId scope, bool user_only) {
  std::vector<RouteDoc> routes;
  for (const Endpoint& endpoint : policy.endpoints()) {
    if (user_only && !endpoint.key_scopes().empty()) continue;
    bool granted = false;
    bool always = false;
    RouteDoc doc = route_doc(endpoint);
    for (const Grant& grant : endpoint.grants) {
      if (grant.scope != scope) continue;
      granted = true;
      if (!grant.has_condition()) {
        always = true;
      } else if (std::find(doc.conditions.begin(), doc.conditions.end(), grant.condition->text) ==
                 doc.conditions.end()) {
        doc.conditions.emplace_back(grant.condition->text);
      }
    }
    if (!granted) continue;
    if (always) doc.conditions.clear();
    routes.push_back(std::move(doc));
  }
  return routes;
}

}  // namespace

Reference collect(const Policy& policy) {
  Reference reference;
  for (ScopeId id = 0; id < policy.scopes().size(); ++id) {
    const Scope& scope = policy.scopes()[id];
    ScopeDoc doc{std::string(scope.name),
                 std::string(scope.summary),
                 {scope.use_cases.begin(), scope.use_cases.end()},
                 {scope.notes.begin(), scope.notes.end()},
                 {},
                 {}};
    for (ScopeId implied : scope.implies) doc.implies.emplace_back(policy.scopes()[implied].name);
    switch (scope.kind) {
      case ScopeKind::plain:
        doc.routes = routes_of(policy, id, false);
        reference.plain.push_back(std::move(doc));
        break;
      case ScopeKind::user:
        doc.routes = routes_of(policy, id, true);
        if (!doc.routes.empty()) reference.user.push_back(std::move(doc));
        break;
      case ScopeKind::future:
        reference.future.push_back(std::move(doc));
        break;
    }
  }
  for (const Endpoint& endpoint : policy.endpoints()) {
    if (endpoint.access == Access::public_) reference.open.push_back(route_doc(endpoint));
    if (endpoint.access == Access::authenticated) {
      reference.authenticated.push_back(route_doc(endpoint));
    }
    if (reference.refusal_example.empty() && endpoint.access == Access::scoped &&
        !endpoint.key_scopes().empty()) {
      reference.refusal_example = endpoint.key_message();
    }
  }
  for (const Role& role : policy.roles()) {
    RoleDoc doc{std::string(role.name), std::string(role.summary), role.all_scopes, {}, {}};
    for (ScopeId id : role.listed) doc.listed.emplace_back(policy.scopes()[id].name);
    if (!role.all_scopes) {
      for (ScopeId id = 0; id < policy.scopes().size(); ++id) {
        const bool listed =
            std::find(role.listed.begin(), role.listed.end(), id) != role.listed.end();
        if (role.closure.contains(id) && !listed)
          doc.implied.emplace_back(policy.scopes()[id].name);
      }
    }
    reference.roles.push_back(std::move(doc));
  }
  for (const ForbidRule& rule : policy.forbids()) {
    reference.forbids.push_back({fmt::format("{} {}", to_string(rule.method), rule.path_template),
                                 std::string(rule.condition_text), std::string(rule.message)});
  }
  return reference;
}

}  // namespace docs

std::string scope_reference(const Policy& policy, ReferenceFormat format) {
  if (format == ReferenceFormat::openapi) return docs::openapi(policy);
  const docs::Reference reference = docs::collect(policy);
  return format == ReferenceFormat::html ? docs::html(policy, reference)
                                         : docs::markdown(reference);
}

}  // namespace scopegate
