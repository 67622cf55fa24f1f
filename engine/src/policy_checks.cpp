// PolicyBuild's checks: the specs resolved into the working form (scope ids, implies
// closures, roles, endpoints and the route lines that grant them, forbid rules), every
// structural error reported with the index of the spec it is about (and of the entry in
// the spec's list, for implies and role scopes).
#include <algorithm>
#include <atomic>
#include <tuple>

#include "policy_build.hpp"

namespace scopegate {
namespace {

// Can some path match both templates?
bool overlaps(const Template& a, const Template& b) noexcept {
  const std::size_t common = std::min(a.segments.size(), b.segments.size());
  for (std::size_t i = 0; i < common; ++i) {
    const Segment& x = a.segments[i];
    const Segment& y = b.segments[i];
    if (x.kind == SegmentKind::rest || y.kind == SegmentKind::rest) return true;
    if (x.kind == SegmentKind::literal && y.kind == SegmentKind::literal && x.text != y.text)
      return false;
  }
  if (a.segments.size() == b.segments.size()) return true;
  const Template& longer = a.segments.size() > b.segments.size() ? a : b;
  const Template& shorter = a.segments.size() > b.segments.size() ? b : a;
  // The shorter ran out: only a `**` right after it in the longer one matches zero more.
  return longer.segments[common].kind == SegmentKind::rest &&
         longer.segments.size() == common + 1 && shorter.segments.size() == common;
}

}  // namespace

std::uint64_t PolicyBuild::next_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

Result<Policy, std::vector<BuildError>> PolicyBuild::run() {
  add_scopes();
  resolve_implies();
  find_cycles();
  compute_closures();
  add_roles();
  add_routes();
  for (std::uint32_t e = 0; e < m_endpoints.size(); ++e) {
    m_trie.add(m_endpoints[e].parsed, m_endpoints[e].method, e);
  }
  add_grants();
  add_forbids();
  check_user_endpoints();
  if (!m_errors.empty()) {
    std::sort(m_errors.begin(), m_errors.end(), [](const BuildError& a, const BuildError& b) {
      return std::tie(a.subject, a.first, a.second, a.entry, a.kind) <
             std::tie(b.subject, b.first, b.second, b.entry, b.kind);
    });
    return unexpected(std::move(m_errors));
  }
  freeze();
  return Policy(std::move(m_impl));
}

void PolicyBuild::add_scopes() {
  for (std::size_t i = 0; i < m_scope_specs.size(); ++i) {
    const ScopeSpec& spec = m_scope_specs[i];
    if (!is_valid_scope_name(spec.name))
      error(Kind::bad_scope_name, Subject::scope, i, 0, spec.name);
    const auto [it, inserted] =
        m_scope_ids.try_emplace(spec.name, static_cast<ScopeId>(m_scopes.size()));
    if (!inserted) {
      error(Kind::duplicate_scope, Subject::scope, i, m_scopes[it->second].spec, spec.name);
      continue;
    }
    m_scopes.push_back({i, {}, {}, {}});
  }
}

void PolicyBuild::resolve_implies() {
  for (WorkScope& scope : m_scopes) {
    const std::vector<std::string>& names = m_scope_specs[scope.spec].implies;
    for (std::size_t k = 0; k < names.size(); ++k) {
      if (const auto found = find_scope(names[k])) {
        scope.implies.push_back(*found);
        scope.implies_entries.push_back(k);
      } else {
        entry_error(Kind::unknown_scope, Subject::scope, scope.spec, k, names[k]);
      }
    }
  }
}

void PolicyBuild::find_cycles() {
  enum class Mark : std::uint8_t { unvisited, active, done };
  std::vector<Mark> marks(m_scopes.size(), Mark::unvisited);
  std::vector<ScopeId> stack;
  std::vector<std::size_t> via;  // via[i]: the implies entry from stack[i] to the next
  const auto visit = [&](auto&& self, ScopeId id) -> void {
    marks[id] = Mark::active;
    stack.push_back(id);
    const WorkScope& scope = m_scopes[id];
    for (std::size_t k = 0; k < scope.implies.size(); ++k) {
      const ScopeId next = scope.implies[k];
      via.push_back(scope.implies_entries[k]);
      if (marks[next] == Mark::active) {
        const auto start =
            static_cast<std::size_t>(std::find(stack.begin(), stack.end(), next) - stack.begin());
        std::string path;
        for (std::size_t i = start; i < stack.size(); ++i) path += spec_of(stack[i]).name + " -> ";
        path += spec_of(next).name;
        entry_error(Kind::implies_cycle, Subject::scope, m_scopes[next].spec, via[start], path);
      } else if (marks[next] == Mark::unvisited) {
        self(self, next);
      }
      via.pop_back();
    }
    stack.pop_back();
    marks[id] = Mark::done;
  };
  for (ScopeId id = 0; id < m_scopes.size(); ++id) {
    if (marks[id] == Mark::unvisited) visit(visit, id);
  }
}

void PolicyBuild::compute_closures() {
  const std::size_t count = m_scopes.size();
  for (ScopeId id = 0; id < count; ++id) {
    ScopeSet closure(count);
    std::vector<ScopeId> pending{id};
    while (!pending.empty()) {
      const ScopeId next = pending.back();
      pending.pop_back();
      if (closure.contains(next)) continue;
      closure.insert(next);
      // A future scope grants nothing yet, not even what it implies: held through another
      // scope, it stops there until it is released (its own closure lists its implies,
      // for the docs).
      if (next != id && spec_of(next).kind == ScopeKind::future) continue;
      for (const ScopeId implied : m_scopes[next].implies) pending.push_back(implied);
    }
    m_scopes[id].closure = std::move(closure);
  }
}

void PolicyBuild::add_roles() {
  std::unordered_map<std::string_view, std::size_t> seen;  // name -> index in m_roles
  for (std::size_t i = 0; i < m_role_specs.size(); ++i) {
    const RoleSpec& spec = m_role_specs[i];
    const auto [it, inserted] = seen.try_emplace(spec.name, m_roles.size());
    if (!inserted) {
      error(Kind::duplicate_role, Subject::role, i, m_roles[it->second].spec, spec.name);
      continue;
    }
    WorkRole role{i, {}, ScopeSet(m_scopes.size())};
    for (std::size_t k = 0; k < spec.scopes.size(); ++k) {
      const auto found = find_scope(spec.scopes[k]);
      if (!found) {
        entry_error(Kind::unknown_scope, Subject::role, i, k, spec.scopes[k]);
        continue;
      }
      role.listed.push_back(*found);
      if (spec_of(*found).kind == ScopeKind::future) {
        role.closure.insert(*found);  // nothing more until released (compute_closures)
      } else {
        role.closure.insert_all(m_scopes[*found].closure);
      }
    }
    if (spec.all_scopes) {
      for (ScopeId id = 0; id < m_scopes.size(); ++id) role.closure.insert(id);
    }
    m_roles.push_back(std::move(role));
  }
}

void PolicyBuild::add_routes() {
  m_routes.resize(m_route_specs.size());
  std::unordered_map<std::string, std::uint32_t> by_shape;  // "METHOD shape" -> endpoint
  for (std::size_t i = 0; i < m_route_specs.size(); ++i) {
    const RouteSpec& spec = m_route_specs[i];
    RouteInfo& info = m_routes[i];
    auto parsed = parse_template(spec.path_template);
    bool valid = true;
    if (!parsed) {
      error(Kind::bad_template, Subject::route, i, 0, parsed.error().message, parsed.error());
      valid = false;
    }
    if (spec.access == Access::scoped) {
      const auto found = find_scope(spec.scope);
      if (!found) {
        error(Kind::unknown_scope, Subject::route, i, 0, spec.scope);
        valid = false;
      } else if (spec_of(*found).kind == ScopeKind::future) {
        error(Kind::future_scope_routes, Subject::route, i, 0, spec.scope);
        valid = false;
      } else {
        info.scope = *found;
      }
    }
    if (!valid) continue;
    info.parsed = std::move(*parsed);
    if (spec.condition) {
      if (spec.access != Access::scoped) {
        condition_error(Subject::route, i,
                        {ConditionErrorKind::type, spec.condition->tag,
                         "a condition needs a scope grant: public and authenticated routes "
                         "have none",
                         "move the route into a scope, or use a `forbid` rule"});
        continue;
      }
      std::vector<std::string> params;
      for (const Segment& segment : info.parsed.segments) {
        if (segment.kind == SegmentKind::param) params.push_back(segment.text);
      }
      auto compiled = m_impl->conditions.compile(*spec.condition, scope_lookup(), &params);
      if (!compiled) {
        condition_error(Subject::route, i, std::move(compiled).error());
        continue;
      }
      info.condition = *compiled;
    }

    const std::string key = std::string(to_string(spec.method)) + ' ' + info.parsed.shape();
    const auto [it, inserted] =
        by_shape.try_emplace(key, static_cast<std::uint32_t>(m_endpoints.size()));
    if (inserted) {
      WorkEndpoint endpoint;
      endpoint.method = spec.method;
      endpoint.access = spec.access;
      endpoint.route = i;
      endpoint.description = spec.description;
      endpoint.parsed = info.parsed;
      m_endpoints.push_back(std::move(endpoint));
      m_defining.push_back({i});
      info.valid = true;
      info.endpoint = it->second;
      continue;
    }
    const std::uint32_t existing = it->second;
    const std::size_t first = m_defining[existing].front();
    if (m_route_specs[first].path_template != spec.path_template) {
      error(Kind::route_tie, Subject::route, i, first);
      continue;
    }
    if (m_route_specs[first].access != spec.access) {
      error(Kind::access_conflict, Subject::route, i, first);
      continue;
    }
    const auto same_block = std::find_if(
        m_defining[existing].begin(), m_defining[existing].end(), [&](std::size_t other) {
          return spec.access != Access::scoped || m_route_specs[other].scope == spec.scope;
        });
    if (same_block != m_defining[existing].end()) {
      error(Kind::duplicate_route, Subject::route, i, *same_block);
      continue;
    }
    // The same route listed by another scope: one endpoint, one more grant.
    WorkEndpoint& endpoint = m_endpoints[existing];
    if (endpoint.description.empty()) endpoint.description = spec.description;
    m_defining[existing].push_back(i);
    info.valid = true;
    info.endpoint = existing;
  }
}

void PolicyBuild::add_grants() {
  std::vector<std::uint32_t> covered;
  for (std::size_t i = 0; i < m_route_specs.size(); ++i) {
    const RouteSpec& spec = m_route_specs[i];
    const RouteInfo& info = m_routes[i];
    if (!info.valid || spec.access != Access::scoped) continue;
    covered.clear();
    m_trie.collect_covered(info.parsed, covered);
    for (const std::uint32_t e : covered) {
      WorkEndpoint& endpoint = m_endpoints[e];
      if (spec.method != Method::any && spec.method != endpoint.method) continue;
      endpoint.grants.push_back({info.scope, i});
    }
  }
}

// Compiles the forbid rules and lists, on each endpoint, those whose template may
// match one of its paths (decide() checks the concrete path).
void PolicyBuild::add_forbids() {
  for (std::size_t k = 0; k < m_forbid_specs.size(); ++k) {
    const ForbidSpec& spec = m_forbid_specs[k];
    auto parsed = parse_template(spec.path_template);
    if (!parsed) {
      error(Kind::bad_template, Subject::forbid, k, 0, parsed.error().message, parsed.error());
      continue;
    }
    WorkForbid rule{k, std::move(*parsed), no_condition};
    if (spec.condition) {
      std::vector<std::string> params;
      for (const Segment& segment : rule.parsed.segments) {
        if (segment.kind == SegmentKind::param) params.push_back(segment.text);
      }
      auto compiled = m_impl->conditions.compile(*spec.condition, scope_lookup(), &params);
      if (!compiled) {
        condition_error(Subject::forbid, k, std::move(compiled).error());
        continue;
      }
      rule.condition = *compiled;
    }
    const auto index = static_cast<std::uint32_t>(m_forbids.size());
    for (WorkEndpoint& endpoint : m_endpoints) {
      const bool methods = spec.method == Method::any || endpoint.method == Method::any ||
                           spec.method == endpoint.method;
      if (methods && overlaps(rule.parsed, endpoint.parsed)) endpoint.forbids.push_back(index);
    }
    m_forbids.push_back(std::move(rule));
  }
}

// A plain scope must not reach, through a wildcard or another template, an endpoint that a
// user scope defines: that would hand a user-only endpoint to API keys. A plain scope
// that lists the very same route is the author saying so: the endpoint is then granted
// to keys holding the plain scope and to users holding either (how a future key scope
// is released beside the user scope that already grants its routes to admins).
void PolicyBuild::check_user_endpoints() {
  for (std::uint32_t e = 0; e < m_endpoints.size(); ++e) {
    const auto user_route =
        std::find_if(m_defining[e].begin(), m_defining[e].end(), [&](std::size_t route) {
          return m_route_specs[route].access == Access::scoped &&
                 spec_of(m_routes[route].scope).kind == ScopeKind::user;
        });
    if (user_route == m_defining[e].end()) continue;
    for (const WorkGrant& grant : m_endpoints[e].grants) {
      const bool lists_it =
          std::find(m_defining[e].begin(), m_defining[e].end(), grant.route) != m_defining[e].end();
      if (spec_of(grant.scope).kind == ScopeKind::plain && !lists_it) {
        error(Kind::plain_covers_user, Subject::route, grant.route, *user_route);
      }
    }
  }
}

bool is_scope_name_char(char c) noexcept { return c >= 0x21 && c <= 0x7E && c != '"' && c != '\\'; }

bool is_valid_scope_name(std::string_view name) noexcept {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_scope_name_char);
}

}  // namespace scopegate
