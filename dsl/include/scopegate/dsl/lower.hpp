// Lowering: syntax trees -> the model that PolicyBuilder takes, with the source span of
// every name kept beside it so builder errors can be pointed back at the text.
// Reports every error it can see that the builder cannot (unknown method, repeated
// metadata, a scope condition without routes), all at once. Structural rules (names,
// duplicates, templates, ties, cycles, condition types) are the builder's and are mapped
// by the compiler. Conditions become ConditionSpec trees whose `tag` indexes the span
// table of their entry. Pure function of its input.
#pragma once

#include <vector>

#include "scopegate/dsl/ast.hpp"
#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/export.hpp"
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
  // The span of every node of spec.condition, by ConditionSpec::tag: the scope's
  // condition first (tags below scope_condition_nodes), then the route's own, then the
  // `and` that joins them when there are both.
  std::vector<Span> condition_nodes;
  std::size_t scope_condition_nodes = 0;
};

struct ForbidEntry {
  ForbidSpec spec;
  Span keyword;                       // `forbid`
  Span line;                          // `forbid METHOD TEMPLATE`
  Span path_template;                 // the template as written
  std::vector<Span> condition_nodes;  // by ConditionSpec::tag
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
  std::vector<ForbidEntry> forbids;
};

struct LowerResult {
  Model model;              // routes with an unknown method are left out
  Diagnostics diagnostics;  // unsorted
};

SCOPEGATE_EXPORT LowerResult lower(const std::vector<ast::File>& files);

// The source text of a condition as one line: comments dropped, each run of white space
// outside strings made one space. "request.query.size  <=\n 100" -> "request.query.size <= 100".
SCOPEGATE_EXPORT std::string condition_text(std::string_view written);

}  // namespace scopegate
