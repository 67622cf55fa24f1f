// The semantic difference between two compiled policies, as `scopegate diff` prints it,
// computed by enumeration over the finite domain (every endpoint of either policy x
// every scope and role of either policy), never by comparing text. Two policies that
// differ only in layout, comments, descriptions or order compare as identical.
//
// What a subject reaches:
// - a plain scope: what an API key holding just that scope (closed under `implies`) can
//   call: the endpoints granted by the plain scopes of its closure;
// - a user scope: what it adds to a user's role: the endpoints granted by the plain and
//   user scopes of its closure;
// - a future scope: nothing;
// - a role: what a signed-in user with that role can call.
// Each reached endpoint carries the conditions under which it is reached: empty when
// some grant is unconditional, else the canonical text (format.hpp) of each grant's
// condition. public and authenticated endpoints are reported as access kinds.
// Pure functions; the result owns its strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/export.hpp"
#include "scopegate/policy.hpp"

namespace scopegate {

struct EndpointRef {
  std::string method;  // "GET", "*"
  std::string path_template;
  friend bool operator==(const EndpointRef&, const EndpointRef&) = default;
};

// An endpoint a subject reaches; `conditions` empty means always.
struct Reach {
  EndpointRef endpoint;
  std::vector<std::string> conditions;
};

struct ReachChange {
  EndpointRef endpoint;
  std::vector<std::string> old_conditions;  // empty: always
  std::vector<std::string> new_conditions;
};

// What one scope or role gains and loses (only subjects with a change are listed).
struct SubjectDiff {
  std::string name;
  std::string kind;  // "plain", "future" or "user" for a scope (its new kind), "role"
  std::vector<Reach> gained;
  std::vector<Reach> lost;
  std::vector<ReachChange> changed;  // reached in both, under other conditions
};

struct EndpointAccess {
  EndpointRef endpoint;
  Access access = Access::scoped;
};

struct EndpointAccessChange {
  EndpointRef endpoint;
  Access old_access = Access::scoped;
  Access new_access = Access::scoped;
};

struct ScopeRef {
  std::string name;
  ScopeKind kind = ScopeKind::plain;
};

struct ScopeKindChange {
  std::string name;
  ScopeKind old_kind = ScopeKind::plain;
  ScopeKind new_kind = ScopeKind::plain;
};

// A grant (endpoint x granting scope) present in both policies whose conditions differ:
// added (old always), removed (new always) or changed.
struct ConditionChange {
  EndpointRef endpoint;
  std::string scope;
  std::vector<std::string> old_conditions;  // empty: unconditional
  std::vector<std::string> new_conditions;
};

struct ForbidRef {
  std::string method;
  std::string path_template;
  std::string condition;  // canonical; empty when the rule has none
  std::string message;
};

struct ForbidMessageChange {
  ForbidRef rule;  // with the new message
  std::string old_message;
};

struct SCOPEGATE_EXPORT PolicyDiff {
  std::vector<EndpointAccess> endpoints_added;
  std::vector<EndpointAccess> endpoints_removed;
  std::vector<EndpointAccessChange> endpoints_changed;
  std::vector<ScopeRef> scopes_added;
  std::vector<ScopeRef> scopes_removed;
  std::vector<ScopeKindChange> scope_kinds_changed;
  std::vector<std::string> roles_added;
  std::vector<std::string> roles_removed;
  std::vector<SubjectDiff> scopes;  // in the new policy's order, then removed ones
  std::vector<SubjectDiff> roles;
  std::vector<ConditionChange> conditions;
  std::vector<ForbidRef> forbids_added;
  std::vector<ForbidRef> forbids_removed;
  std::vector<ForbidMessageChange> forbid_messages_changed;

  // Whether both policies give everyone exactly the same access: every list above is
  // empty except forbid_messages_changed (a message is text, not access).
  bool identical() const noexcept;
};

SCOPEGATE_EXPORT PolicyDiff diff_policies(const Policy& old_policy, const Policy& new_policy);

// The human form: grouped by endpoint, scope, role, condition and forbid rule, closing
// with "no difference in access" or "N differences in access".
SCOPEGATE_EXPORT std::string render_diff(const PolicyDiff& diff);

// "GET /api/v1/sessions".
SCOPEGATE_EXPORT std::string to_string(const EndpointRef& endpoint);

// "plain", "future" or "user": how the diff names a scope's kind.
SCOPEGATE_EXPORT std::string_view kind_name(ScopeKind kind) noexcept;

}  // namespace scopegate
