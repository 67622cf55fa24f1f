// PolicyBuilder, and the layout of a checked policy as Policy::Impl: every text interned
// once, the pools the public views point into, the route trie and its entries, and the
// refusal messages, computed once here so that decide() never formats one.
#include "scopegate/policy_builder.hpp"

#include <algorithm>
#include <map>

#include "policy_build.hpp"

namespace scopegate {

PolicyBuild::GrantingKey PolicyBuild::granting_key(const WorkEndpoint& endpoint) const {
  GrantingKey key;
  const auto add = [](std::vector<ScopeId>& ids, ScopeId id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  };
  for (const WorkGrant& grant : endpoint.grants) {
    const ScopeKind kind = spec_of(grant.scope).kind;
    if (counts_for_key(kind)) add(key.key, grant.scope);
    if (counts_for_user(kind)) add(key.user, grant.scope);
  }
  return key;
}

std::string PolicyBuild::joined(const std::vector<ScopeId>& ids) const {
  std::string out;
  for (const ScopeId id : ids) {
    if (!out.empty()) out += " or ";
    out += spec_of(id).name;
  }
  return out;
}

void PolicyBuild::freeze() {
  Policy::Impl& impl = *m_impl;
  // Sizes first: every pool is filled once, within its reserved capacity.
  std::map<GrantingKey, std::uint32_t> granting_index;
  std::vector<std::uint32_t> granting_of(m_endpoints.size());
  for (std::size_t e = 0; e < m_endpoints.size(); ++e) {
    granting_of[e] = granting_index
                         .try_emplace(granting_key(m_endpoints[e]),
                                      static_cast<std::uint32_t>(granting_index.size()))
                         .first->second;
  }
  std::size_t name_count = 0;
  std::size_t id_count = 0;
  for (const WorkScope& scope : m_scopes) {
    const ScopeSpec& spec = m_scope_specs[scope.spec];
    name_count += spec.use_cases.size() + spec.notes.size();
    id_count += scope.implies.size() + scope.closure.count();
  }
  for (const auto& [key, index] : granting_index) name_count += key.key.size() + key.user.size();
  for (const WorkRole& role : m_roles) id_count += role.listed.size();
  std::size_t grant_count = 0;
  std::size_t param_count = 0;
  std::size_t forbid_count = 0;
  for (const WorkEndpoint& endpoint : m_endpoints) {
    grant_count += endpoint.grants.size();
    param_count += endpoint.parsed.param_count();
    forbid_count += endpoint.forbids.size();
  }
  std::size_t condition_count = 0;
  for (const RouteInfo& info : m_routes)
    condition_count += info.valid && info.condition != no_condition;
  impl.names.reserve(name_count);
  impl.scope_ids.reserve(id_count);
  impl.grants.reserve(grant_count);
  impl.grant_conditions.reserve(condition_count);
  impl.grantings.reserve(granting_index.size());
  impl.params.reserve(param_count);
  impl.forbid_links.reserve(forbid_count);

  impl.scopes.reserve(m_scopes.size());
  for (const WorkScope& work : m_scopes) {
    const ScopeSpec& spec = m_scope_specs[work.spec];
    std::vector<std::string_view> use_cases;
    for (const std::string& text : spec.use_cases) use_cases.push_back(intern(text));
    std::vector<std::string_view> notes;
    for (const std::string& text : spec.notes) notes.push_back(intern(text));
    Scope scope;
    scope.name = intern(spec.name);
    scope.kind = spec.kind;
    scope.summary = intern(spec.summary);
    scope.use_cases = append(impl.names, use_cases);
    scope.notes = append(impl.names, notes);
    scope.implies = append(impl.scope_ids, work.implies);
    scope.closure = append(impl.scope_ids, work.closure.ids());
    scope.location = locate(spec.location);
    impl.scopes.push_back(std::move(scope));
  }

  std::vector<const GrantingKey*> keys(granting_index.size());
  for (const auto& [key, index] : granting_index) keys[index] = &key;
  for (const GrantingKey* key : keys) {
    std::vector<std::string_view> key_names;
    for (const ScopeId id : key->key) key_names.push_back(impl.scopes[id].name);
    std::vector<std::string_view> user_names;
    for (const ScopeId id : key->user) user_names.push_back(impl.scopes[id].name);
    Granting granting;
    granting.key_scopes = append(impl.names, key_names);
    granting.user_scopes = append(impl.names, user_names);
    granting.key_message =
        key->key.empty() ? intern("API key authentication is not supported for this endpoint")
                         : intern("API key does not have required scope: " + joined(key->key));
    granting.user_message = intern("User does not have required scope: " + joined(key->user));
    impl.grantings.push_back(granting);
  }

  std::vector<std::uint32_t> condition_of_route(m_route_specs.size(), no_index);
  impl.endpoints.reserve(m_endpoints.size());
  for (std::size_t e = 0; e < m_endpoints.size(); ++e) {
    const WorkEndpoint& work = m_endpoints[e];
    const RouteSpec& defining = m_route_specs[work.route];
    std::vector<Grant> grants;
    for (const WorkGrant& item : work.grants) {
      const RouteSpec& spec = m_route_specs[item.route];
      Grant grant;
      grant.scope = item.scope;
      grant.scope_kind = spec_of(item.scope).kind;
      grant.path_template = intern(spec.path_template);
      grant.location = locate(spec.location);
      if (m_routes[item.route].condition != no_condition) {
        std::uint32_t& slot = condition_of_route[item.route];
        if (slot == no_index) {
          slot = static_cast<std::uint32_t>(impl.grant_conditions.size());
          impl.grant_conditions.push_back({m_routes[item.route].condition,
                                           intern(spec.condition_text),
                                           locate(spec.condition_location),
                                           intern("Condition not met: " + spec.condition_text)});
        }
        grant.condition = &impl.grant_conditions[slot];
      }
      grants.push_back(grant);
    }
    Endpoint endpoint;
    endpoint.method = work.method;
    endpoint.access = work.access;
    endpoint.path_template = intern(defining.path_template);
    endpoint.description = intern(work.description);
    endpoint.location = locate(defining.location);
    endpoint.grants = append(impl.grants, grants);
    endpoint.granting = &impl.grantings[granting_of[e]];
    impl.endpoints.push_back(endpoint);
  }

  impl.forbids.reserve(m_forbids.size());
  for (WorkForbid& work : m_forbids) {
    const ForbidSpec& spec = m_forbid_specs[work.spec];
    ForbidRule rule;
    rule.method = spec.method;
    rule.path_template = intern(spec.path_template);
    rule.parsed = std::move(work.parsed);
    rule.condition = work.condition;
    rule.condition_text = intern(spec.condition_text);
    rule.condition_location = locate(spec.condition_location);
    rule.message =
        intern(spec.message.empty() ? std::string_view("Forbidden by policy") : spec.message);
    rule.location = locate(spec.location);
    impl.forbid_params_begin.push_back(static_cast<std::uint32_t>(impl.forbid_params.size()));
    for (std::size_t i = 0; i < rule.parsed.segments.size(); ++i) {
      const Segment& segment = rule.parsed.segments[i];
      if (segment.kind == SegmentKind::param) {
        impl.forbid_params.push_back({intern(segment.text), static_cast<std::uint32_t>(i)});
      }
    }
    impl.forbids.push_back(std::move(rule));
  }
  impl.forbid_params_begin.push_back(static_cast<std::uint32_t>(impl.forbid_params.size()));

  impl.roles.reserve(m_roles.size());
  for (const WorkRole& work : m_roles) {
    const RoleSpec& spec = m_role_specs[work.spec];
    Role role;
    role.name = intern(spec.name);
    role.summary = intern(spec.summary);
    role.all_scopes = spec.all_scopes;
    role.listed = append(impl.scope_ids, work.listed);
    role.closure = work.closure;
    role.location = locate(spec.location);
    impl.roles.push_back(std::move(role));
  }

  std::vector<std::uint32_t> entry_endpoints;
  impl.routes =
      m_trie.freeze([this](std::string_view text) { return intern(text); }, entry_endpoints);
  impl.entries.reserve(entry_endpoints.size());
  for (const std::uint32_t e : entry_endpoints) impl.entries.push_back(entry_for(e));
  impl.params.shrink_to_fit();  // reserved for every endpoint's own list, before sharing

  sort_by_name(impl.scope_index, impl.scopes);
  sort_by_name(impl.role_index, impl.roles);
  for (std::size_t mask = 0; mask < impl.allow_headers.size(); ++mask) {
    std::string header;
    for (std::size_t m = 0; m < method_count; ++m) {
      if ((mask >> m & 1U) == 0) continue;
      if (!header.empty()) header += ", ";
      header += method_names[m];
    }
    impl.allow_headers[mask] = intern(header);
  }
}

// The index of `name` in Impl::param_names, added the first time.
std::uint32_t PolicyBuild::param_name(std::string_view name) {
  std::vector<std::string_view>& names = m_impl->param_names;
  const std::string_view stored = intern(name);
  const auto [it, added] =
      m_param_names.try_emplace(stored, static_cast<std::uint32_t>(names.size()));
  if (added) names.push_back(stored);
  return it->second;
}

TrieEntry PolicyBuild::entry_for(std::uint32_t e) {
  Policy::Impl& impl = *m_impl;
  const WorkEndpoint& work = m_endpoints[e];
  TrieEntry entry;
  entry.endpoint = e;
  std::vector<ParamSlot> slots;
  std::size_t wildcard = 0;
  for (const Segment& segment : work.parsed.segments) {
    if (segment.kind == SegmentKind::param)
      slots.push_back({param_name(segment.text), static_cast<std::uint8_t>(wildcard)});
    if (segment.kind == SegmentKind::param || segment.kind == SegmentKind::any) ++wildcard;
  }
  entry.param_count = static_cast<std::uint8_t>(slots.size());
  const auto [list, added] =
      m_param_lists.try_emplace(slots, static_cast<std::uint32_t>(impl.params.size()));
  if (added) impl.params.insert(impl.params.end(), slots.begin(), slots.end());
  entry.params_begin = list->second;
  if (!work.forbids.empty()) {
    entry.forbids_begin = static_cast<std::uint32_t>(impl.forbid_links.size());
    for (const std::uint32_t index : work.forbids) {
      impl.forbid_links.push_back({index, covers(impl.forbids[index].parsed, work.parsed), false});
    }
    impl.forbid_links.back().last = true;
  }
  const Endpoint& endpoint = impl.endpoints[e];
  entry.grants_begin = static_cast<std::uint32_t>(endpoint.grants.data() - impl.grants.data());
  entry.grant_count = static_cast<std::uint32_t>(endpoint.grants.size());
  if (!endpoint.grants.empty()) {
    const Grant& first = endpoint.grants.front();
    entry.first_scope = first.scope;
    if (counts_for_key(first.scope_kind)) entry.flags |= first_counts_for_key;
    if (counts_for_user(first.scope_kind)) entry.flags |= first_counts_for_user;
    if (first.has_condition()) entry.flags |= first_has_condition;
  }
  if (endpoint.key_scopes().empty()) entry.flags |= no_key_scope;
  entry.access = endpoint.access;
  return entry;
}

std::string_view to_string(ScopeKind kind) noexcept {
  switch (kind) {
    case ScopeKind::plain:
      return "scope";
    case ScopeKind::future:
      return "future scope";
    case ScopeKind::user:
      return "user scope";
  }
  return "scope";
}

std::string_view to_string(Access access) noexcept {
  switch (access) {
    case Access::scoped:
      return "scoped";
    case Access::public_:
      return "public";
    case Access::authenticated:
      return "authenticated";
  }
  return "scoped";
}

void PolicyBuilder::add_scope(ScopeSpec scope) { m_scopes.push_back(std::move(scope)); }
void PolicyBuilder::add_route(RouteSpec route) { m_routes.push_back(std::move(route)); }
void PolicyBuilder::add_role(RoleSpec role) { m_roles.push_back(std::move(role)); }
void PolicyBuilder::add_forbid(ForbidSpec forbid) { m_forbids.push_back(std::move(forbid)); }

Result<Policy, std::vector<BuildError>> PolicyBuilder::build() && {
  return PolicyBuild(m_scopes, m_routes, m_roles, m_forbids).run();
}

std::string_view to_string(BuildError::Kind kind) noexcept {
  using Kind = BuildError::Kind;
  switch (kind) {
    case Kind::bad_scope_name:
      return "bad_scope_name";
    case Kind::duplicate_scope:
      return "duplicate_scope";
    case Kind::unknown_scope:
      return "unknown_scope";
    case Kind::implies_cycle:
      return "implies_cycle";
    case Kind::future_scope_routes:
      return "future_scope_routes";
    case Kind::bad_template:
      return "bad_template";
    case Kind::duplicate_route:
      return "duplicate_route";
    case Kind::route_tie:
      return "route_tie";
    case Kind::access_conflict:
      return "access_conflict";
    case Kind::plain_covers_user:
      return "plain_covers_user";
    case Kind::duplicate_role:
      return "duplicate_role";
    case Kind::bad_condition:
      return "bad_condition";
  }
  return "unknown";
}

std::string describe_error(const std::vector<BuildError>& errors) {
  if (errors.empty()) return "no build error";
  const BuildError& first = errors.front();
  std::string text =
      std::to_string(errors.size()) + (errors.size() == 1 ? " build error" : " build errors");
  text += "; the first: ";
  text += to_string(first.kind);
  if (!first.detail.empty()) text += " `" + first.detail + "`";
  return text;
}

}  // namespace scopegate
