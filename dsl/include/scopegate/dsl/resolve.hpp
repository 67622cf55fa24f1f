// Resolving: syntax trees -> the checked model that PolicyBuilder takes, with the source
// span of every name kept beside it so builder errors can be pointed back at the text.
// Reports every error it can see that the builder cannot (unknown method, repeated
// metadata), all at once. Structural rules (names, duplicates, templates, ties, cycles)
// are the builder's and are mapped by the compiler. Pure function of its input.
#pragma once

#include <vector>

#include "scopegate/dsl/ast.hpp"
#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/policy_builder.hpp"

namespace scopegate {

struct ScopeEntry {
  ScopeSpec spec;
  Span name;
  std::vector<Span> implies;  // one per spec.implies, same order
};

struct RouteEntry {
  RouteSpec spec;
  Span line;                                // `METHOD TEMPLATE`, without the description
  Span path_template;                       // the template as written
  ScopeKind scope_kind = ScopeKind::plain;  // of the granting scope, when scoped
};

struct RoleEntry {
  RoleSpec spec;
  Span name;
  Span all_scopes;           // the `*` of `scopes *`, when spec.all_scopes
  std::vector<Span> scopes;  // one per spec.scopes, same order
};

// Everything the builder is fed, in the order it is fed (PolicyBuilder's indices).
struct Model {
  std::vector<ScopeEntry> scopes;
  std::vector<RouteEntry> routes;
  std::vector<RoleEntry> roles;
};

struct ResolveResult {
  Model model;              // routes with an unknown method are left out
  Diagnostics diagnostics;  // unsorted
};

ResolveResult resolve(const std::vector<ast::File>& files);

}  // namespace scopegate
