// PolicyBuilder::build: checks the specs, builds the route trie, computes which route
// lines grant which endpoints (a wildcard line grants every endpoint it covers), the
// implies closures and role scope sets, and precomputes every refusal message.
#include "scopegate/policy_builder.hpp"

#include <algorithm>
#include <atomic>
#include <tuple>
#include <unordered_map>

#include "policy_impl.hpp"

namespace scopegate {
namespace {

using Kind = BuildError::Kind;
using Subject = BuildError::Subject;

std::uint64_t next_policy_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

bool is_name_part(std::string_view part) noexcept {
  if (part.empty() || part.front() < 'a' || part.front() > 'z') return false;
  return std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string join(const std::vector<std::string>& names, std::string_view separator) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += separator;
    out += name;
  }
  return out;
}

// The order of TrieNode::literals: by size, then bytes (decide() compares sizes first).
bool literal_order(const std::string& a, const std::string& b) noexcept {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// Can some path match both templates?
bool overlaps(const Template& a, const Template& b) noexcept {
  const std::size_t common = std::min(a.segments.size(), b.segments.size());
  for (std::size_t i = 0; i < common; ++i) {
    const Segment& x = a.segments[i];
    const Segment& y = b.segments[i];
    if (x.kind == SegmentKind::rest || y.kind == SegmentKind::rest) return true;
    if (x.kind == SegmentKind::literal && y.kind == SegmentKind::literal && x.text != y.text) return false;
  }
  if (a.segments.size() == b.segments.size()) return true;
  const Template& longer = a.segments.size() > b.segments.size() ? a : b;
  const Template& shorter = a.segments.size() > b.segments.size() ? b : a;
  // The shorter ran out: only a `**` right after it in the longer one matches zero more.
  return longer.segments[common].kind == SegmentKind::rest && longer.segments.size() == common + 1 &&
         shorter.segments.size() == common;
}

void add_unique(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

class Build {
 public:
  Build(std::vector<ScopeSpec>& scopes, std::vector<RouteSpec>& routes, std::vector<RoleSpec>& roles,
        std::vector<ForbidSpec>& forbids)
      : m_scope_specs(scopes), m_route_specs(routes), m_role_specs(roles), m_forbid_specs(forbids),
        m_impl(std::make_unique<Policy::Impl>()) {
    m_impl->id = next_policy_id();
  }

  Result<Policy, std::vector<BuildError>> run() {
    add_scopes();
    resolve_implies();
    find_cycles();
    compute_closures();
    add_roles();
    add_routes();
    build_trie();
    add_grants();
    add_forbids();
    check_user_endpoints();
    finish_endpoints();
    if (!m_errors.empty()) {
      std::sort(m_errors.begin(), m_errors.end(), [](const BuildError& a, const BuildError& b) {
        return std::tie(a.subject, a.first, a.second, a.kind) <
               std::tie(b.subject, b.first, b.second, b.kind);
      });
      return unexpected(std::move(m_errors));
    }
    return Policy(std::move(m_impl));
  }

 private:
  struct RouteInfo {
    bool valid = false;
    Template parsed;
    ScopeId scope = 0;
    std::uint32_t endpoint = no_index;
    std::uint32_t condition = UINT32_MAX;
  };

  ConditionProgram::ScopeLookup scope_lookup() const {
    return [this](std::string_view name) -> std::optional<ScopeId> {
      const auto found = m_impl->scope_index.find(name);
      if (found == m_impl->scope_index.end()) return std::nullopt;
      return found->second;
    };
  }

  void condition_error(Subject subject, std::size_t index, ConditionError failure) {
    BuildError built;
    built.kind = Kind::bad_condition;
    built.subject = subject;
    built.first = index;
    built.detail = std::move(failure.message);
    built.help = std::move(failure.help);
    built.condition_tag = failure.tag;
    built.condition_error = failure.kind;
    m_errors.push_back(std::move(built));
  }

  void error(Kind kind, Subject subject, std::size_t first, std::size_t second = 0,
             std::string detail = {}, TemplateError template_error = {}) {
    BuildError built;
    built.kind = kind;
    built.subject = subject;
    built.first = first;
    built.second = second;
    built.detail = std::move(detail);
    built.template_error = std::move(template_error);
    m_errors.push_back(std::move(built));
  }

  void add_scopes() {
    for (std::size_t i = 0; i < m_scope_specs.size(); ++i) {
      ScopeSpec& spec = m_scope_specs[i];
      if (!is_valid_scope_name(spec.name)) error(Kind::bad_scope_name, Subject::scope, i, 0, spec.name);
      const auto [it, inserted] =
          m_impl->scope_index.try_emplace(spec.name, static_cast<ScopeId>(m_impl->scopes.size()));
      if (!inserted) {
        error(Kind::duplicate_scope, Subject::scope, i, m_spec_of_scope[it->second], spec.name);
        continue;
      }
      m_spec_of_scope.push_back(i);
      Scope scope;
      scope.name = spec.name;
      scope.kind = spec.kind;
      scope.summary = std::move(spec.summary);
      scope.use_cases = std::move(spec.use_cases);
      scope.notes = std::move(spec.notes);
      scope.location = spec.location;
      m_impl->scopes.push_back(std::move(scope));
    }
  }

  void resolve_implies() {
    for (ScopeId id = 0; id < m_impl->scopes.size(); ++id) {
      const std::size_t spec = m_spec_of_scope[id];
      for (const std::string& name : m_scope_specs[spec].implies) {
        const auto found = m_impl->scope_index.find(name);
        if (found == m_impl->scope_index.end()) {
          error(Kind::unknown_scope, Subject::scope, spec, 0, name);
        } else {
          m_impl->scopes[id].implies.push_back(found->second);
        }
      }
    }
  }

  // Reports each `implies` cycle once, at the scope where the search entered it.
  void find_cycles() {
    enum class Mark : std::uint8_t { unvisited, active, done };
    std::vector<Mark> marks(m_impl->scopes.size(), Mark::unvisited);
    std::vector<ScopeId> stack;
    const auto visit = [&](auto&& self, ScopeId id) -> void {
      marks[id] = Mark::active;
      stack.push_back(id);
      for (const ScopeId next : m_impl->scopes[id].implies) {
        if (marks[next] == Mark::active) {
          const auto start = std::find(stack.begin(), stack.end(), next);
          std::string path;
          for (auto it = start; it != stack.end(); ++it) path += m_impl->scopes[*it].name + " -> ";
          path += m_impl->scopes[next].name;
          error(Kind::implies_cycle, Subject::scope, m_spec_of_scope[next], 0, path);
        } else if (marks[next] == Mark::unvisited) {
          self(self, next);
        }
      }
      stack.pop_back();
      marks[id] = Mark::done;
    };
    for (ScopeId id = 0; id < m_impl->scopes.size(); ++id) {
      if (marks[id] == Mark::unvisited) visit(visit, id);
    }
  }

  void compute_closures() {
    const std::size_t count = m_impl->scopes.size();
    for (ScopeId id = 0; id < count; ++id) {
      ScopeSet closure(count);
      std::vector<ScopeId> pending{id};
      while (!pending.empty()) {
        const ScopeId next = pending.back();
        pending.pop_back();
        if (closure.contains(next)) continue;
        closure.insert(next);
        for (const ScopeId implied : m_impl->scopes[next].implies) pending.push_back(implied);
      }
      m_impl->scopes[id].closure = std::move(closure);
    }
  }

  void add_roles() {
    for (std::size_t i = 0; i < m_role_specs.size(); ++i) {
      RoleSpec& spec = m_role_specs[i];
      const auto [it, inserted] = m_impl->role_index.try_emplace(spec.name, m_impl->roles.size());
      if (!inserted) {
        error(Kind::duplicate_role, Subject::role, i, m_spec_of_role[it->second], spec.name);
        continue;
      }
      m_spec_of_role.push_back(i);
      Role role;
      role.name = spec.name;
      role.summary = std::move(spec.summary);
      role.all_scopes = spec.all_scopes;
      role.location = spec.location;
      role.closure = ScopeSet(m_impl->scopes.size());
      for (const std::string& name : spec.scopes) {
        const auto found = m_impl->scope_index.find(name);
        if (found == m_impl->scope_index.end()) {
          error(Kind::unknown_scope, Subject::role, i, 0, name);
          continue;
        }
        role.listed.push_back(found->second);
        role.closure.insert_all(m_impl->scopes[found->second].closure);
      }
      if (role.all_scopes) {
        for (ScopeId id = 0; id < m_impl->scopes.size(); ++id) role.closure.insert(id);
      }
      m_impl->roles.push_back(std::move(role));
    }
  }

  void add_routes() {
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
        const auto found = m_impl->scope_index.find(spec.scope);
        if (found == m_impl->scope_index.end()) {
          error(Kind::unknown_scope, Subject::route, i, 0, spec.scope);
          valid = false;
        } else if (m_impl->scopes[found->second].kind == ScopeKind::future) {
          error(Kind::future_scope_routes, Subject::route, i, 0, spec.scope);
          valid = false;
        } else {
          info.scope = found->second;
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
          by_shape.try_emplace(key, static_cast<std::uint32_t>(m_impl->endpoints.size()));
      if (inserted) {
        Endpoint endpoint;
        endpoint.method = spec.method;
        endpoint.path_template = spec.path_template;
        endpoint.parsed = info.parsed;
        endpoint.description = spec.description;
        endpoint.access = spec.access;
        for (std::size_t k = 0, wildcard = 0; k < info.parsed.segments.size(); ++k) {
          const SegmentKind kind = info.parsed.segments[k].kind;
          if (kind == SegmentKind::param) {
            endpoint.params.push_back({static_cast<std::uint8_t>(k), static_cast<std::uint8_t>(wildcard)});
          }
          if (kind == SegmentKind::param || kind == SegmentKind::any) ++wildcard;
        }
        endpoint.location = spec.location;
        m_impl->endpoints.push_back(std::move(endpoint));
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
      Endpoint& endpoint = m_impl->endpoints[existing];
      if (endpoint.description.empty()) endpoint.description = spec.description;
      m_defining[existing].push_back(i);
      info.valid = true;
      info.endpoint = existing;
    }
  }

  std::uint32_t new_node() {
    m_impl->nodes.emplace_back();
    return static_cast<std::uint32_t>(m_impl->nodes.size() - 1);
  }

  void build_trie() {
    new_node();
    std::unordered_map<std::string, std::uint32_t> literal_children;  // "node\0text" -> child
    for (std::uint32_t e = 0; e < m_impl->endpoints.size(); ++e) {
      const Endpoint& endpoint = m_impl->endpoints[e];
      std::uint32_t node = 0;
      for (const Segment& segment : endpoint.parsed.segments) {
        switch (segment.kind) {
          case SegmentKind::literal: {
            std::string key = std::to_string(node);
            key += '\0';
            key += segment.text;
            const auto found = literal_children.find(key);
            if (found != literal_children.end()) {
              node = found->second;
            } else {
              const std::uint32_t child = new_node();
              m_impl->nodes[node].literals.emplace_back(segment.text, child);
              literal_children.emplace(std::move(key), child);
              node = child;
            }
            break;
          }
          case SegmentKind::param:
          case SegmentKind::any:
            if (m_impl->nodes[node].single == no_index) {
              const std::uint32_t child = new_node();
              m_impl->nodes[node].single = child;
            }
            node = m_impl->nodes[node].single;
            break;
          case SegmentKind::rest:
            if (m_impl->nodes[node].rest == no_index) {
              const std::uint32_t child = new_node();
              m_impl->nodes[node].rest = child;
            }
            node = m_impl->nodes[node].rest;
            break;
        }
      }
      TrieNode& target = m_impl->nodes[node];
      target.by_method[static_cast<std::size_t>(endpoint.method)] = e;
      target.has_endpoints = true;
    }
    for (TrieNode& node : m_impl->nodes) {
      std::sort(node.literals.begin(), node.literals.end(),
                [](const auto& a, const auto& b) { return literal_order(a.first, b.first); });
      node.literals.shrink_to_fit();
      for (std::size_t m = 0; m < method_count; ++m) {
        if (node.by_method[m] != no_index) node.method_mask |= static_cast<std::uint8_t>(1U << m);
      }
    }
    for (std::size_t mask = 0; mask < m_impl->allow_headers.size(); ++mask) {
      std::string& header = m_impl->allow_headers[mask];
      for (std::size_t m = 0; m < method_count; ++m) {
        if ((mask >> m & 1U) == 0) continue;
        if (!header.empty()) header += ", ";
        header += method_names[m];
      }
    }
    m_impl->nodes.shrink_to_fit();
  }

  // Every endpoint in the subtree under `node`, `**` children included.
  void collect_subtree(std::uint32_t node, std::vector<std::uint32_t>& out) const {
    const TrieNode& n = m_impl->nodes[node];
    for (const std::uint32_t e : n.by_method) {
      if (e != no_index) out.push_back(e);
    }
    for (const auto& [text, child] : n.literals) collect_subtree(child, out);
    if (n.single != no_index) collect_subtree(n.single, out);
    if (n.rest != no_index) collect_subtree(n.rest, out);
  }

  // Every endpoint whose template `parsed` covers (see scopegate::covers).
  void collect_covered(std::uint32_t node, const Template& parsed, std::size_t depth,
                       std::vector<std::uint32_t>& out) const {
    const TrieNode& n = m_impl->nodes[node];
    if (depth == parsed.segments.size()) {
      for (const std::uint32_t e : n.by_method) {
        if (e != no_index) out.push_back(e);
      }
      return;
    }
    const Segment& segment = parsed.segments[depth];
    switch (segment.kind) {
      case SegmentKind::literal: {
        const auto found = std::lower_bound(n.literals.begin(), n.literals.end(), segment.text,
                                            [](const auto& entry, const std::string& text) {
                                              return literal_order(entry.first, text);
                                            });
        if (found != n.literals.end() && found->first == segment.text) {
          collect_covered(found->second, parsed, depth + 1, out);
        }
        break;
      }
      case SegmentKind::param:
      case SegmentKind::any:
        for (const auto& [text, child] : n.literals) collect_covered(child, parsed, depth + 1, out);
        if (n.single != no_index) collect_covered(n.single, parsed, depth + 1, out);
        break;
      case SegmentKind::rest: collect_subtree(node, out); break;
    }
  }

  void add_grants() {
    m_grant_routes.resize(m_impl->endpoints.size());
    std::vector<std::uint32_t> covered;
    for (std::size_t i = 0; i < m_route_specs.size(); ++i) {
      const RouteSpec& spec = m_route_specs[i];
      const RouteInfo& info = m_routes[i];
      if (!info.valid || spec.access != Access::scoped) continue;
      covered.clear();
      collect_covered(0, info.parsed, 0, covered);
      for (const std::uint32_t e : covered) {
        Endpoint& endpoint = m_impl->endpoints[e];
        if (spec.method != Method::any && spec.method != endpoint.method) continue;
        Grant grant;
        grant.scope = info.scope;
        grant.path_template = spec.path_template;
        grant.location = spec.location;
        if (info.condition != UINT32_MAX) {
          grant.condition = info.condition;
          grant.condition_text = spec.condition_text;
          grant.condition_location = spec.condition_location;
          grant.condition_message = "Condition not met: " + spec.condition_text;
        }
        endpoint.grants.push_back(std::move(grant));
        m_grant_routes[e].push_back(i);
      }
    }
  }

  // Compiles the forbid rules and lists, on each endpoint, those whose template may
  // match one of its paths (decide() checks the concrete path).
  void add_forbids() {
    for (std::size_t k = 0; k < m_forbid_specs.size(); ++k) {
      ForbidSpec& spec = m_forbid_specs[k];
      auto parsed = parse_template(spec.path_template);
      if (!parsed) {
        error(Kind::bad_template, Subject::forbid, k, 0, parsed.error().message, parsed.error());
        continue;
      }
      ForbidRule rule;
      if (spec.condition) {
        std::vector<std::string> params;
        for (const Segment& segment : parsed->segments) {
          if (segment.kind == SegmentKind::param) params.push_back(segment.text);
        }
        auto compiled = m_impl->conditions.compile(*spec.condition, scope_lookup(), &params);
        if (!compiled) {
          condition_error(Subject::forbid, k, std::move(compiled).error());
          continue;
        }
        rule.condition = *compiled;
      }
      rule.method = spec.method;
      rule.path_template = spec.path_template;
      rule.parsed = std::move(*parsed);
      rule.condition_text = std::move(spec.condition_text);
      rule.condition_location = spec.condition_location;
      rule.message = spec.message.empty() ? "Forbidden by policy" : std::move(spec.message);
      rule.location = spec.location;
      const auto index = static_cast<std::uint32_t>(m_impl->forbids.size());
      for (Endpoint& endpoint : m_impl->endpoints) {
        const bool methods = rule.method == Method::any || endpoint.method == Method::any ||
                             rule.method == endpoint.method;
        if (methods && overlaps(rule.parsed, endpoint.parsed)) endpoint.forbids.push_back(index);
      }
      m_impl->forbids.push_back(std::move(rule));
    }
  }

  // A plain scope must not reach an endpoint that a user scope defines: that would
  // hand a user-only endpoint to API keys.
  void check_user_endpoints() {
    for (std::uint32_t e = 0; e < m_impl->endpoints.size(); ++e) {
      const auto user_route = std::find_if(
          m_defining[e].begin(), m_defining[e].end(), [&](std::size_t route) {
            return m_route_specs[route].access == Access::scoped &&
                   m_impl->scopes[m_routes[route].scope].kind == ScopeKind::user;
          });
      if (user_route == m_defining[e].end()) continue;
      for (const std::size_t route : m_grant_routes[e]) {
        if (m_impl->scopes[m_routes[route].scope].kind == ScopeKind::plain) {
          error(Kind::plain_covers_user, Subject::route, route, *user_route);
        }
      }
    }
  }

  void finish_endpoints() {
    for (Endpoint& endpoint : m_impl->endpoints) {
      for (const Grant& grant : endpoint.grants) {
        const Scope& scope = m_impl->scopes[grant.scope];
        if (scope.kind == ScopeKind::plain) add_unique(endpoint.key_scopes, scope.name);
        if (scope.kind != ScopeKind::future) add_unique(endpoint.user_scopes, scope.name);
      }
      endpoint.key_message =
          endpoint.key_scopes.empty()
              ? "API key authentication is not supported for this endpoint"
              : "API key does not have required scope: " + join(endpoint.key_scopes, " or ");
      endpoint.user_message = "User does not have required scope: " + join(endpoint.user_scopes, " or ");
    }
  }

  std::vector<ScopeSpec>& m_scope_specs;
  std::vector<RouteSpec>& m_route_specs;
  std::vector<RoleSpec>& m_role_specs;
  std::vector<ForbidSpec>& m_forbid_specs;
  std::unique_ptr<Policy::Impl> m_impl;
  std::vector<BuildError> m_errors;
  std::vector<std::size_t> m_spec_of_scope;  // ScopeId -> index in m_scope_specs
  std::vector<std::size_t> m_spec_of_role;
  std::vector<RouteInfo> m_routes;                         // per route spec
  std::vector<std::vector<std::size_t>> m_defining;        // per endpoint: its route lines
  std::vector<std::vector<std::size_t>> m_grant_routes;    // per endpoint: granting lines
};

}  // namespace

bool is_valid_scope_name(std::string_view name) noexcept {
  const std::size_t colon = name.find(':');
  if (colon == std::string_view::npos) return false;
  return is_name_part(name.substr(0, colon)) && is_name_part(name.substr(colon + 1));
}

std::string_view to_string(ScopeKind kind) noexcept {
  switch (kind) {
    case ScopeKind::plain: return "scope";
    case ScopeKind::future: return "future scope";
    case ScopeKind::user: return "user scope";
  }
  return "scope";
}

std::string_view to_string(Access access) noexcept {
  switch (access) {
    case Access::scoped: return "scoped";
    case Access::public_: return "public";
    case Access::authenticated: return "authenticated";
  }
  return "scoped";
}

void PolicyBuilder::add_scope(ScopeSpec scope) { m_scopes.push_back(std::move(scope)); }
void PolicyBuilder::add_route(RouteSpec route) { m_routes.push_back(std::move(route)); }
void PolicyBuilder::add_role(RoleSpec role) { m_roles.push_back(std::move(role)); }
void PolicyBuilder::add_forbid(ForbidSpec forbid) { m_forbids.push_back(std::move(forbid)); }

Result<Policy, std::vector<BuildError>> PolicyBuilder::build() && {
  return Build(m_scopes, m_routes, m_roles, m_forbids).run();
}

}  // namespace scopegate
