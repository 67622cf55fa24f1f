// PolicyBuilder::build: checks the specs, builds the route trie, computes which route
// lines grant which endpoints (a wildcard line grants every endpoint it covers), the
// implies closures and role scope sets, and precomputes every refusal message.
#include "scopegate/policy_builder.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

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

class Build {
 public:
  Build(std::vector<ScopeSpec>& scopes, std::vector<RouteSpec>& routes,
        std::vector<RoleSpec>& roles, std::vector<ForbidSpec>& forbids)
      : m_scope_specs(scopes),
        m_route_specs(routes),
        m_role_specs(roles),
        m_forbid_specs(forbids),
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
    for (std::uint32_t e = 0; e < m_endpoints.size(); ++e) {
      m_trie.add(m_endpoints[e].parsed, m_endpoints[e].method, e);
    }
    add_grants();
    add_forbids();
    check_user_endpoints();
    if (!m_errors.empty()) {
      std::sort(m_errors.begin(), m_errors.end(), [](const BuildError& a, const BuildError& b) {
        return std::tie(a.subject, a.first, a.second, a.kind) <
               std::tie(b.subject, b.first, b.second, b.kind);
      });
      return unexpected(std::move(m_errors));
    }
    freeze();
    return Policy(std::move(m_impl));
  }

 private:
  // The working form of the policy while it is checked; freeze() turns it into the
  // compact Policy::Impl. Texts here are views into the specs, which outlive the build.
  struct WorkScope {
    std::size_t spec = 0;
    std::vector<ScopeId> implies;
    ScopeSet closure;
  };
  struct WorkRole {
    std::size_t spec = 0;
    std::vector<ScopeId> listed;
    ScopeSet closure;
  };
  struct WorkGrant {
    ScopeId scope = 0;
    std::size_t route = 0;  // the granting route spec
  };
  struct WorkEndpoint {
    Method method = Method::any;
    Access access = Access::scoped;
    std::size_t route = 0;  // the defining route spec
    std::string_view description;
    Template parsed;
    std::vector<WorkGrant> grants;
    std::vector<std::uint32_t> forbids;
  };
  struct WorkForbid {
    std::size_t spec = 0;
    Template parsed;
    std::uint32_t condition = no_condition;
  };
  struct RouteInfo {
    bool valid = false;
    Template parsed;
    ScopeId scope = 0;
    std::uint32_t endpoint = no_index;
    std::uint32_t condition = no_condition;
  };

  ConditionProgram::ScopeLookup scope_lookup() const {
    return [this](std::string_view name) { return find_scope(name); };
  }

  std::optional<ScopeId> find_scope(std::string_view name) const {
    const auto found = m_scope_ids.find(name);
    if (found == m_scope_ids.end()) return std::nullopt;
    return found->second;
  }

  const ScopeSpec& spec_of(ScopeId id) const { return m_scope_specs[m_scopes[id].spec]; }

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
      const ScopeSpec& spec = m_scope_specs[i];
      if (!is_valid_scope_name(spec.name))
        error(Kind::bad_scope_name, Subject::scope, i, 0, spec.name);
      const auto [it, inserted] =
          m_scope_ids.try_emplace(spec.name, static_cast<ScopeId>(m_scopes.size()));
      if (!inserted) {
        error(Kind::duplicate_scope, Subject::scope, i, m_scopes[it->second].spec, spec.name);
        continue;
      }
      m_scopes.push_back({i, {}, {}});
    }
  }

  void resolve_implies() {
    for (WorkScope& scope : m_scopes) {
      for (const std::string& name : m_scope_specs[scope.spec].implies) {
        if (const auto found = find_scope(name)) {
          scope.implies.push_back(*found);
        } else {
          error(Kind::unknown_scope, Subject::scope, scope.spec, 0, name);
        }
      }
    }
  }

  // Reports each `implies` cycle once, at the scope where the search entered it.
  void find_cycles() {
    enum class Mark : std::uint8_t { unvisited, active, done };
    std::vector<Mark> marks(m_scopes.size(), Mark::unvisited);
    std::vector<ScopeId> stack;
    const auto visit = [&](auto&& self, ScopeId id) -> void {
      marks[id] = Mark::active;
      stack.push_back(id);
      for (const ScopeId next : m_scopes[id].implies) {
        if (marks[next] == Mark::active) {
          const auto start = std::find(stack.begin(), stack.end(), next);
          std::string path;
          for (auto it = start; it != stack.end(); ++it) path += spec_of(*it).name + " -> ";
          path += spec_of(next).name;
          error(Kind::implies_cycle, Subject::scope, m_scopes[next].spec, 0, path);
        } else if (marks[next] == Mark::unvisited) {
          self(self, next);
        }
      }
      stack.pop_back();
      marks[id] = Mark::done;
    };
    for (ScopeId id = 0; id < m_scopes.size(); ++id) {
      if (marks[id] == Mark::unvisited) visit(visit, id);
    }
  }

  void compute_closures() {
    const std::size_t count = m_scopes.size();
    for (ScopeId id = 0; id < count; ++id) {
      ScopeSet closure(count);
      std::vector<ScopeId> pending{id};
      while (!pending.empty()) {
        const ScopeId next = pending.back();
        pending.pop_back();
        if (closure.contains(next)) continue;
        closure.insert(next);
        for (const ScopeId implied : m_scopes[next].implies) pending.push_back(implied);
      }
      m_scopes[id].closure = std::move(closure);
    }
  }

  void add_roles() {
    std::unordered_map<std::string_view, std::size_t> seen;  // name -> index in m_roles
    for (std::size_t i = 0; i < m_role_specs.size(); ++i) {
      const RoleSpec& spec = m_role_specs[i];
      const auto [it, inserted] = seen.try_emplace(spec.name, m_roles.size());
      if (!inserted) {
        error(Kind::duplicate_role, Subject::role, i, m_roles[it->second].spec, spec.name);
        continue;
      }
      WorkRole role{i, {}, ScopeSet(m_scopes.size())};
      for (const std::string& name : spec.scopes) {
        const auto found = find_scope(name);
        if (!found) {
          error(Kind::unknown_scope, Subject::role, i, 0, name);
          continue;
        }
        role.listed.push_back(*found);
        role.closure.insert_all(m_scopes[*found].closure);
      }
      if (spec.all_scopes) {
        for (ScopeId id = 0; id < m_scopes.size(); ++id) role.closure.insert(id);
      }
      m_roles.push_back(std::move(role));
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

  void add_grants() {
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
  void add_forbids() {
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

  // A plain scope must not reach an endpoint that a user scope defines: that would
  // hand a user-only endpoint to API keys.
  void check_user_endpoints() {
    for (std::uint32_t e = 0; e < m_endpoints.size(); ++e) {
      const auto user_route =
          std::find_if(m_defining[e].begin(), m_defining[e].end(), [&](std::size_t route) {
            return m_route_specs[route].access == Access::scoped &&
                   spec_of(m_routes[route].scope).kind == ScopeKind::user;
          });
      if (user_route == m_defining[e].end()) continue;
      for (const WorkGrant& grant : m_endpoints[e].grants) {
        if (spec_of(grant.scope).kind == ScopeKind::plain) {
          error(Kind::plain_covers_user, Subject::route, grant.route, *user_route);
        }
      }
    }
  }

  // ---- freeze: the checked working form into the compact Policy::Impl ----

  std::string_view intern(std::string_view text) {
    if (text.empty()) return {};
    const auto found = m_interned.find(text);
    if (found != m_interned.end()) return *found;
    const std::string_view stored = m_impl->text.add(text);
    m_interned.insert(stored);
    return stored;
  }

  SourceLocation locate(const SourceLocation& location) {
    return {intern(location.file), location.line, location.column};
  }

  // Appends to a pool whose capacity was reserved up front, so earlier spans stay valid.
  template <typename T, typename Range>
  std::span<const T> append(std::vector<T>& pool, const Range& items) {
    const std::size_t begin = pool.size();
    for (const auto& item : items) pool.push_back(item);
    return {pool.data() + begin, pool.size() - begin};
  }

  // The granting scopes of each endpoint: key (plain) and user (plain and user) names,
  // as scope ids in grant order without repeats.
  struct GrantingKey {
    std::vector<ScopeId> key;
    std::vector<ScopeId> user;
    auto operator<=>(const GrantingKey&) const = default;
  };

  GrantingKey granting_key(const WorkEndpoint& endpoint) const {
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

  std::string joined(const std::vector<ScopeId>& ids) const {
    std::string out;
    for (const ScopeId id : ids) {
      if (!out.empty()) out += " or ";
      out += spec_of(id).name;
    }
    return out;
  }

  void freeze() {
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

  // `index` becomes the indexes of `items` in the order of their names.
  template <typename Index, typename Items>
  static void sort_by_name(std::vector<Index>& index, const Items& items) {
    index.resize(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) index[i] = static_cast<Index>(i);
    std::sort(index.begin(), index.end(),
              [&items](Index a, Index b) { return items[a].name < items[b].name; });
  }

  // The index of `name` in Impl::param_names, added the first time.
  std::uint32_t param_name(std::string_view name) {
    std::vector<std::string_view>& names = m_impl->param_names;
    const std::string_view stored = intern(name);
    const auto [it, added] =
        m_param_names.try_emplace(stored, static_cast<std::uint32_t>(names.size()));
    if (added) names.push_back(stored);
    return it->second;
  }

  TrieEntry entry_for(std::uint32_t e) {
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
        impl.forbid_links.push_back(
            {index, covers(impl.forbids[index].parsed, work.parsed), false});
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

  std::vector<ScopeSpec>& m_scope_specs;
  std::vector<RouteSpec>& m_route_specs;
  std::vector<RoleSpec>& m_role_specs;
  std::vector<ForbidSpec>& m_forbid_specs;
  std::unique_ptr<Policy::Impl> m_impl;
  std::vector<BuildError> m_errors;
  std::unordered_map<std::string_view, ScopeId> m_scope_ids;
  std::vector<WorkScope> m_scopes;  // by ScopeId
  std::vector<WorkRole> m_roles;
  std::vector<RouteInfo> m_routes;  // per route spec
  std::vector<WorkEndpoint> m_endpoints;
  std::vector<std::vector<std::size_t>> m_defining;  // per endpoint: its route lines
  RouteTrieBuilder m_trie;  // the endpoints by template, filled once they are all known
  std::vector<WorkForbid> m_forbids;
  std::unordered_set<std::string_view> m_interned;                    // views into m_impl->text
  std::unordered_map<std::string_view, std::uint32_t> m_param_names;  // into m_impl->param_names
  // Each distinct list of an entry's parameter slots, where it begins in m_impl->params.
  std::map<std::vector<ParamSlot>, std::uint32_t> m_param_lists;
};

}  // namespace

bool is_valid_scope_name(std::string_view name) noexcept {
  const std::size_t colon = name.find(':');
  if (colon == std::string_view::npos) return false;
  return is_name_part(name.substr(0, colon)) && is_name_part(name.substr(colon + 1));
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
  return Build(m_scopes, m_routes, m_roles, m_forbids).run();
}

}  // namespace scopegate
