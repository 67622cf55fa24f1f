// PolicyBuilder: the one way to make a Policy. The dsl/ compiler feeds it what it
// parsed; an embedder may feed it directly. build() checks every structural rule and
// reports each violation with the index of the offending input, and of the entry within
// it where that is a list (so a caller with source spans can point at it); it never
// builds a policy that breaks one.
// Single-threaded use; build() consumes the builder.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "scopegate/condition.hpp"
#include "scopegate/export.hpp"
#include "scopegate/method.hpp"
#include "scopegate/policy.hpp"
#include "scopegate/result.hpp"
#include "scopegate/source_location.hpp"

namespace scopegate {

struct ScopeSpec {
  std::string name;
  ScopeKind kind = ScopeKind::plain;
  std::string summary;
  std::vector<std::string> use_cases;
  std::vector<std::string> notes;
  std::vector<std::string> implies;
  SourceLocation location;
};

struct RouteSpec {
  Method method = Method::get;
  std::string path_template;
  std::string description;
  Access access = Access::scoped;
  std::string scope;  // the granting scope when access is scoped; empty otherwise
  SourceLocation location;
  // `when ...`: the grant counts only while this holds (scoped routes only).
  std::optional<ConditionSpec> condition;
  std::string condition_text;  // for messages and `explain` (the dsl: as `scopegate fmt` writes it)
  SourceLocation condition_location;
};

// `forbid METHOD TEMPLATE [when CONDITION] { message "..." }`: refuses a request that
// would otherwise be allowed, whatever granted it.
struct ForbidSpec {
  Method method = Method::any;
  std::string path_template;
  std::optional<ConditionSpec> condition;  // none: always
  std::string condition_text;
  SourceLocation condition_location;
  std::string message;  // empty: "Forbidden by policy"
  SourceLocation location;
};

struct RoleSpec {
  std::string name;
  std::string summary;
  bool all_scopes = false;
  std::vector<std::string> scopes;
  SourceLocation location;
};

struct BuildError {
  enum class Kind {
    bad_scope_name,       // scope `first`: name is not an OAuth 2.0 scope-token
    duplicate_scope,      // scope `first` declared again (`second` is the earlier one)
    unknown_scope,        // route `first`, or `entry` of scope `first`'s implies or role
                          // `first`'s scopes
    implies_cycle,        // scope `first` implies itself through `detail`, starting with
                          // `entry` of its implies
    future_scope_routes,  // route `first` belongs to a future scope
    bad_template,         // route `first`; `detail` and `template_error` say why
    duplicate_route,      // route `first` repeats route `second` in the same block
    route_tie,            // route `first` ties with route `second`
    access_conflict,      // route `first` is also listed as route `second` elsewhere
    plain_covers_user,    // plain route `first` covers user-scope route `second`
    duplicate_role,       // role `first` declared again (`second` is the earlier one)
    bad_condition,        // the condition of route/forbid `first`: node `condition_tag`
  };
  enum class Subject { scope, route, role, forbid };

  Kind kind = Kind::bad_template;
  Subject subject = Subject::route;
  std::size_t first = 0;   // index into the scopes, routes or roles added, by subject
  std::size_t second = 0;  // a second route/scope/role index where the kind says so
  std::size_t entry = 0;   // an index into the implies or scopes of `first`, as above
  std::string detail;      // e.g. the unknown name, or a rendered cycle "a -> b -> a"
  TemplateError template_error;
  std::string help;                 // bad_condition: a concrete fix, or empty
  std::uint32_t condition_tag = 0;  // bad_condition: the ConditionSpec::tag at fault
  ConditionErrorKind condition_error = ConditionErrorKind::type;  // bad_condition: why
};

SCOPEGATE_EXPORT std::string_view to_string(BuildError::Kind kind) noexcept;
// What a Result<Policy, std::vector<BuildError>> accessed as a value throws with, e.g.
// "2 build errors; the first: unknown_scope `sesions:read`".
SCOPEGATE_EXPORT std::string describe_error(const std::vector<BuildError>& errors);

class SCOPEGATE_EXPORT PolicyBuilder {
 public:
  void add_scope(ScopeSpec scope);
  void add_route(RouteSpec route);
  void add_role(RoleSpec role);
  void add_forbid(ForbidSpec forbid);

  // Errors are sorted by kind of subject and index, all of them reported at once.
  Result<Policy, std::vector<BuildError>> build() &&;

 private:
  std::vector<ScopeSpec> m_scopes;
  std::vector<RouteSpec> m_routes;
  std::vector<RoleSpec> m_roles;
  std::vector<ForbidSpec> m_forbids;
};

// A scope name is an OAuth 2.0 scope-token (RFC 6749 section 3.3): one or more printable
// ASCII characters other than space, `"` and `\` (NQCHAR: %x21 / %x23-5B / %x5D-7E).
SCOPEGATE_EXPORT bool is_scope_name_char(char c) noexcept;
SCOPEGATE_EXPORT bool is_valid_scope_name(std::string_view name) noexcept;

}  // namespace scopegate
