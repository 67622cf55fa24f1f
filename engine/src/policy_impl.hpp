// Policy::Impl: the compiled policy's storage and its route trie. Private to engine/.
// Built once by PolicyBuilder, never modified afterwards.
//
// Layout: every text (names, templates, descriptions, messages, file names) is stored
// once in `text`; the public structures (Scope, Endpoint, Grant, ...) are views into it
// and into the flat pools below. The route trie (route_trie.hpp) and the entries it
// leads to are flat arrays of small records, so that decide() reads a few cache lines.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "condition_program.hpp"
#include "route_trie.hpp"
#include "scopegate/policy.hpp"
#include "text_store.hpp"

namespace scopegate {

// Which grants a principal counts: an API key those of plain scopes only, a user those
// of any scope but a future one (a future scope grants nothing yet). The one statement of
// the rule for decide(), the trie entries' copies and the refusal messages.
constexpr bool counts_for_key(ScopeKind kind) noexcept { return kind == ScopeKind::plain; }
constexpr bool counts_for_user(ScopeKind kind) noexcept { return kind != ScopeKind::future; }

// An endpoint as the route trie leads to it, with what decide() needs right after the
// match, so that a decision reads neither its Endpoint, nor its Scopes, nor (when its
// first grant decides) its Grant: on a large policy, each is a cache miss of its own.
struct TrieEntry {
  std::uint32_t endpoint = 0;
  std::uint32_t params_begin = 0;          // into Impl::params
  std::uint32_t forbids_begin = no_index;  // into Impl::forbid_links; no_index: none
  std::uint32_t grants_begin = 0;          // the endpoint's grants: Impl::grants from here
  std::uint32_t grant_count = 0;
  ScopeId first_scope = 0;  // the scope of Impl::grants[grants_begin], when grant_count > 0
  std::uint8_t param_count = 0;
  Access access = Access::scoped;  // the endpoint's
  std::uint8_t flags = 0;          // EntryFlag bits
};

// What decide() needs to know of an entry's first grant besides its scope, and whether
// any scope an API key may hold grants the endpoint.
enum EntryFlag : std::uint8_t {
  first_counts_for_key = 1U << 0,   // the first grant's scope is plain: a key may use it
  first_counts_for_user = 1U << 1,  // ... is not future: a user may use it
  first_has_condition = 1U << 2,    // ... has a `when`
  no_key_scope = 1U << 3,           // no plain scope grants it: api_key_not_supported
};

// For each `{name}` of an endpoint, in order: the name (an index into
// Impl::param_names) and its position among the one-segment wildcards (`{name}` and `*`).
// Endpoints whose templates bind the same names at the same places share their slots
// (most policies have a handful of such lists: `{id}`, `{id}` and `{member_id}`, ...), so
// the slots take little room and stay in cache.
struct ParamSlot {
  std::uint32_t name = 0;
  std::uint8_t wildcard = 0;

  friend auto operator<=>(const ParamSlot&, const ParamSlot&) = default;
};

// A forbid rule listed on an entry: the rule, and whether its template matches every
// path the endpoint's template matches (then decide() does not check the path again).
// An entry's links are consecutive; the last one says so.
struct ForbidLink {
  std::uint32_t rule = 0;  // into Impl::forbids
  bool covers = false;
  bool last = false;  // the entry's last link
};

// A `{name}` of a forbid rule's template: the name and the path segment it binds.
struct ForbidParam {
  std::string_view name;
  std::uint32_t segment = 0;
};

struct Policy::Impl {
  std::uint64_t id = 0;
  TextStore text;
  std::vector<Scope> scopes;
  std::vector<Endpoint> endpoints;
  std::vector<Role> roles;
  std::vector<ForbidRule> forbids;
  ConditionProgram conditions;
  // Pools the views point into.
  std::vector<std::string_view> names;  // use cases, notes, granting scope names
  std::vector<ScopeId> scope_ids;       // implies, closures and role lists
  std::vector<Grant> grants;
  std::vector<GrantCondition> grant_conditions;
  std::vector<Granting> grantings;
  RouteTrie routes;
  std::vector<TrieEntry> entries;  // RouteMatch::entry indexes these
  std::vector<ParamSlot> params;
  // Every distinct parameter name once (in `text`): decide() binds names from here, not
  // from the endpoint's template, so an allowed request does not read its Endpoint.
  std::vector<std::string_view> param_names;
  std::vector<ForbidLink> forbid_links;
  // The parameters of forbids[k] are forbid_params[forbid_params_begin[k]] up to
  // forbid_params[forbid_params_begin[k + 1]].
  std::vector<ForbidParam> forbid_params;
  std::vector<std::uint32_t> forbid_params_begin;
  // Indexes into scopes and roles sorted by name, for find_scope() and find_role().
  std::vector<ScopeId> scope_index;
  std::vector<std::uint32_t> role_index;
  // The Allow header for every set of methods, by method mask: "GET, POST".
  std::array<std::string_view, 1U << method_count> allow_headers;
};

}  // namespace scopegate
