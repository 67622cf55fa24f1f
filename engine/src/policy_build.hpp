// PolicyBuild: one PolicyBuilder::build() run. It checks the specs and resolves them into
// a working form (policy_checks.cpp: scopes and their implies closures, roles, endpoints,
// which route lines grant which endpoints, forbid rules), reporting every error at once;
// then, if there was none, lays that form out as the compact Policy::Impl with every
// refusal message precomputed (policy_builder.cpp). Private to engine/; single-threaded,
// used once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "policy_impl.hpp"
#include "route_trie.hpp"
#include "scopegate/policy_builder.hpp"

namespace scopegate {

class PolicyBuild {
 public:
  PolicyBuild(std::vector<ScopeSpec>& scopes, std::vector<RouteSpec>& routes,
              std::vector<RoleSpec>& roles, std::vector<ForbidSpec>& forbids)
      : m_scope_specs(scopes),
        m_route_specs(routes),
        m_role_specs(roles),
        m_forbid_specs(forbids),
        m_impl(std::make_unique<Policy::Impl>()) {
    m_impl->id = next_id();
  }

  // Checks the specs (policy_checks.cpp), then lays the policy out (policy_builder.cpp).
  Result<Policy, std::vector<BuildError>> run();

 private:
  using Kind = BuildError::Kind;
  using Subject = BuildError::Subject;

  static std::uint64_t next_id();

  // The working form of the policy while it is checked; freeze() turns it into the
  // compact Policy::Impl. Texts here are views into the specs, which outlive the build.
  struct WorkScope {
    std::size_t spec = 0;
    std::vector<ScopeId> implies;
    std::vector<std::size_t> implies_entries;  // implies[k] is the spec's implies[entries[k]]
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

  // An error about one entry of a list: a scope's implies, a role's scopes.
  void entry_error(Kind kind, Subject subject, std::size_t first, std::size_t entry,
                   std::string detail) {
    error(kind, subject, first, 0, std::move(detail));
    m_errors.back().entry = entry;
  }

  void add_scopes();

  void resolve_implies();

  // Reports each `implies` cycle once, at the scope where the search entered it and the
  // entry of its implies that the cycle leaves by.
  void find_cycles();

  void compute_closures();

  void add_roles();

  void add_routes();

  void add_grants();

  // Compiles the forbid rules and lists, on each endpoint, those whose template may
  // match one of its paths (decide() checks the concrete path).
  void add_forbids();

  // A plain scope must not reach an endpoint that a user scope defines: that would
  // hand a user-only endpoint to API keys.
  void check_user_endpoints();

  // Laying the checked policy out (policy_builder.cpp).

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

  GrantingKey granting_key(const WorkEndpoint& endpoint) const;

  std::string joined(const std::vector<ScopeId>& ids) const;

  void freeze();

  // `index` becomes the indexes of `items` in the order of their names.
  template <typename Index, typename Items>
  static void sort_by_name(std::vector<Index>& index, const Items& items) {
    index.resize(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) index[i] = static_cast<Index>(i);
    std::sort(index.begin(), index.end(),
              [&items](Index a, Index b) { return items[a].name < items[b].name; });
  }

  // The index of `name` in Impl::param_names, added the first time.
  std::uint32_t param_name(std::string_view name);

  TrieEntry entry_for(std::uint32_t e);

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

}  // namespace scopegate
