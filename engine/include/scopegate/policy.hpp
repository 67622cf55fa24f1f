// Policy: a compiled, immutable policy — scopes, roles, endpoints and the route trie —
// and decide(). Built by PolicyBuilder (or scopegate::compile_files in dsl/). Once built
// nothing in it changes, so any number of threads may call decide() at once.
// decide() costs O(path segments), independent of the number of routes and scopes,
// and allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/condition.hpp"
#include "scopegate/decision.hpp"
#include "scopegate/export.hpp"
#include "scopegate/method.hpp"
#include "scopegate/principal.hpp"
#include "scopegate/scope_set.hpp"
#include "scopegate/source_location.hpp"
#include "scopegate/template.hpp"

namespace scopegate {

enum class ScopeKind : std::uint8_t {
  plain,   // grantable to API keys and to users (through roles)
  future,  // declared and documented, grants nothing yet
  user,    // granted to signed-in users through roles, never to API keys
};

SCOPEGATE_EXPORT std::string_view to_string(ScopeKind kind) noexcept;

// Who may call an endpoint before scopes are looked at.
enum class Access : std::uint8_t {
  scoped,         // needs a granting scope
  public_,        // anyone, even without credentials
  authenticated,  // any valid API key or signed-in user
};

SCOPEGATE_EXPORT std::string_view to_string(Access access) noexcept;

// The compiled structures below are views: their text, lists and locations live in
// storage the Policy owns (each distinct text once), so they are valid while the Policy
// that returned them lives, and copying one copies no text.

struct Scope {
  std::string_view name;
  ScopeKind kind = ScopeKind::plain;
  std::string_view summary;
  std::span<const std::string_view> use_cases;
  std::span<const std::string_view> notes;
  std::span<const ScopeId> implies;  // as written
  std::span<const ScopeId> closure;  // itself and all it implies, transitively; ascending
  SourceLocation location;
};

// `when ...` on a route line (or on its scope): the line grants only while it holds.
struct GrantCondition {
  std::uint32_t index = 0;  // the compiled condition
  std::string_view text;    // as the compiler gives it (the dsl: as `scopegate fmt` writes it)
  SourceLocation location;
  std::string_view message;  // "Condition not met: request.query.size <= 100"
};

// One route line of a scope that grants an endpoint (directly or through a wildcard).
struct Grant {
  ScopeId scope = 0;
  ScopeKind scope_kind = ScopeKind::plain;  // the kind of `scope`, kept here for decide()
  std::string_view path_template;           // as written on that line
  SourceLocation location;
  const GrantCondition* condition = nullptr;  // none: the grant always counts

  bool has_condition() const noexcept { return condition != nullptr; }
};

// `forbid METHOD TEMPLATE when CONDITION { message "..." }`.
struct ForbidRule {
  Method method = Method::any;
  std::string_view path_template;
  Template parsed;
  std::uint32_t condition = UINT32_MAX;  // none: always
  std::string_view condition_text;
  SourceLocation condition_location;
  std::string_view message;
  SourceLocation location;
};

// Which scopes grant an endpoint and what a refusal says; one per distinct set of
// granting scopes, shared by every endpoint those scopes grant.
struct Granting {
  std::span<const std::string_view> key_scopes;   // plain scopes: what an API key needs
  std::span<const std::string_view> user_scopes;  // plain and user scopes: what a user needs
  // "API key does not have required scope: a or b", or "... not supported ..." when no
  // plain scope grants it; "User does not have required scope: a or b".
  std::string_view key_message;
  std::string_view user_message;
};

struct SCOPEGATE_EXPORT Endpoint {
  Method method = Method::any;
  Access access = Access::scoped;
  std::string_view path_template;  // as written
  std::string_view description;
  SourceLocation location;  // the route line that defines it
  // Every route line whose scope grants this endpoint, in policy order.
  std::span<const Grant> grants;
  const Granting* granting = nullptr;  // set on every endpoint of a built Policy

  // Names of the scopes that grant it to an API key (plain scopes) and to a user (any).
  std::span<const std::string_view> key_scopes() const noexcept;
  std::span<const std::string_view> user_scopes() const noexcept;
  // Precomputed refusals, e.g. "API key does not have required scope: a or b".
  std::string_view key_message() const noexcept;
  std::string_view user_message() const noexcept;
  // The template split into segments (parses path_template again: allocates).
  Template parsed() const;
};

struct Role {
  std::string_view name;
  std::string_view summary;
  bool all_scopes = false;          // `scopes *`
  std::span<const ScopeId> listed;  // as written
  ScopeSet closure;                 // what a user with this role holds
  SourceLocation location;
};

// Why a scope name given for an API key grants nothing.
enum class ScopeProblemKind : std::uint8_t {
  unknown,    // the policy declares no such scope
  future,     // a `future` scope: declared, not grantable yet
  user_only,  // a `user` scope: granted to signed-in users only
};

SCOPEGATE_EXPORT std::string_view to_string(ScopeProblemKind kind) noexcept;

struct SCOPEGATE_EXPORT ScopeProblem {
  std::string name;  // as given
  ScopeProblemKind kind = ScopeProblemKind::unknown;
  std::string suggestion;  // unknown: the closest grantable scope, or empty
  // "unknown scope: sesions:read (did you mean sessions:read?)",
  // "scope resources:write is not available yet",
  // "scope users:manage cannot be granted to an API key".
  std::string message() const;
};

// A key principal with the names in it that grant nothing, each distinct name once, in
// the order given. `principal` is what principal_for_key() gives for the same names.
struct CheckedPrincipal {
  Principal principal;
  std::vector<ScopeProblem> problems;

  bool ok() const noexcept { return problems.empty(); }
};

// The scope names of an OAuth-style scope string (RFC 6749 section 3.3), e.g.
// "sessions:read sessions:write": split at spaces, runs of spaces and spaces at either
// end ignored. The views borrow from `scope_string`.
SCOPEGATE_EXPORT std::vector<std::string_view> split_scopes(std::string_view scope_string);

class SCOPEGATE_EXPORT Policy {
 public:
  Policy(Policy&&) noexcept;
  Policy& operator=(Policy&&) noexcept;
  ~Policy();

  Decision decide(const Principal& principal, std::string_view method,
                  std::string_view path) const noexcept;
  // The same, with what conditions may read (ip, headers, query, time).
  Decision decide(const Principal& principal, const Request& request) const noexcept;

  // A key holding `scopes` (closed under `implies`). Names this policy does not know
  // are kept in scope_names() but grant nothing: fail closed.
  Principal principal_for_key(std::span<const std::string_view> scopes) const;
  Principal principal_for_key(std::initializer_list<std::string_view> scopes) const;
  Principal principal_for_key(const std::vector<std::string>& scopes) const;
  // The same, from a space-separated scope string: principal_for_key(split_scopes(text)).
  Principal principal_for_scope_string(std::string_view scope_string) const;
  // The same key, with every given name that grants nothing to a key reported: unknown
  // (with a did-you-mean), future or user-only. For validating a key when it is made.
  CheckedPrincipal principal_for_key_checked(std::span<const std::string_view> scopes) const;
  CheckedPrincipal principal_for_key_checked(std::initializer_list<std::string_view> scopes) const;
  CheckedPrincipal principal_for_key_checked(const std::vector<std::string>& scopes) const;
  // A signed-in user with `role`. An unknown role holds no scope.
  Principal principal_for_role(std::string_view role) const;
  // The same principal, resolved against this policy (after a reload).
  Principal rebind(const Principal& principal) const;

  const std::vector<Scope>& scopes() const noexcept;
  const std::vector<Endpoint>& endpoints() const noexcept;
  const std::vector<Role>& roles() const noexcept;
  const std::vector<ForbidRule>& forbids() const noexcept;
  std::optional<ScopeId> find_scope(std::string_view name) const noexcept;
  const Role* find_role(std::string_view name) const noexcept;
  // The endpoint defined by exactly this method and template text, if any.
  const Endpoint* find_endpoint(Method method, std::string_view path_template) const noexcept;

  // Unique within the process for every Policy built; principals remember it.
  std::uint64_t id() const noexcept;
  // Bytes held by the policy's own structures (an estimate for the memory benchmark).
  std::size_t memory_usage() const noexcept;

  // Opaque: defined inside engine/ only. PolicyBuilder is the way to make a Policy.
  struct Impl;
  explicit Policy(std::unique_ptr<Impl> impl);

 private:
  // Both decide()s: `request` is null when the caller gave only the method and the path.
  Decision decide(const Principal& principal, std::string_view method, std::string_view target,
                  const Request* request) const noexcept;

  std::unique_ptr<Impl> m_impl;
};

// Inline, so that a call goes straight to the one that decides.
inline Decision Policy::decide(const Principal& principal, std::string_view method,
                               std::string_view path) const noexcept {
  return decide(principal, method, path, nullptr);
}

inline Decision Policy::decide(const Principal& principal, const Request& request) const noexcept {
  return decide(principal, request.method, request.target, &request);
}

}  // namespace scopegate
