// The scope names of an API key: split from an OAuth-style scope string, and checked
// against a policy (principal_for_key_checked reports the names that grant nothing).
#include <algorithm>

#include "scopegate/policy.hpp"
#include "scopegate/suggest.hpp"

namespace scopegate {

std::string_view to_string(ScopeProblemKind kind) noexcept {
  switch (kind) {
    case ScopeProblemKind::unknown:
      return "unknown";
    case ScopeProblemKind::future:
      return "future";
    case ScopeProblemKind::user_only:
      return "user_only";
  }
  return "unknown";
}

std::string ScopeProblem::message() const {
  switch (kind) {
    case ScopeProblemKind::unknown:
      return "unknown scope: " + name +
             (suggestion.empty() ? std::string() : " (did you mean " + suggestion + "?)");
    case ScopeProblemKind::future:
      return "scope " + name + " is not available yet";
    case ScopeProblemKind::user_only:
      return "scope " + name + " cannot be granted to an API key";
  }
  return "scope " + name + " grants nothing to an API key";
}

std::vector<std::string_view> split_scopes(std::string_view scope_string) {
  std::vector<std::string_view> names;
  std::size_t at = 0;
  while (at < scope_string.size()) {
    const std::size_t begin = scope_string.find_first_not_of(' ', at);
    if (begin == std::string_view::npos) break;
    const std::size_t end = std::min(scope_string.find(' ', begin), scope_string.size());
    names.push_back(scope_string.substr(begin, end - begin));
    at = end;
  }
  return names;
}

Principal Policy::principal_for_scope_string(std::string_view scope_string) const {
  return principal_for_key(split_scopes(scope_string));
}

CheckedPrincipal Policy::principal_for_key_checked(std::span<const std::string_view> scopes) const {
  CheckedPrincipal checked{principal_for_key(scopes), {}};
  std::vector<std::string> grantable;  // the did-you-mean candidates, made once if needed
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    const std::string_view name = scopes[i];
    if (std::find(scopes.begin(), scopes.begin() + static_cast<std::ptrdiff_t>(i), name) !=
        scopes.begin() + static_cast<std::ptrdiff_t>(i)) {
      continue;  // reported already
    }
    const std::optional<ScopeId> id = find_scope(name);
    if (id && this->scopes()[*id].kind == ScopeKind::plain) continue;
    ScopeProblem problem{std::string(name), ScopeProblemKind::unknown, {}};
    if (!id) {
      if (grantable.empty()) {
        for (const Scope& scope : this->scopes()) {
          if (scope.kind == ScopeKind::plain) grantable.emplace_back(scope.name);
        }
      }
      problem.suggestion = closest_match(name, grantable).value_or(std::string());
    } else {
      problem.kind = this->scopes()[*id].kind == ScopeKind::future ? ScopeProblemKind::future
                                                                   : ScopeProblemKind::user_only;
    }
    checked.problems.push_back(std::move(problem));
  }
  return checked;
}

CheckedPrincipal Policy::principal_for_key_checked(
    std::initializer_list<std::string_view> scopes) const {
  return principal_for_key_checked(
      std::span<const std::string_view>(scopes.begin(), scopes.size()));
}

CheckedPrincipal Policy::principal_for_key_checked(const std::vector<std::string>& scopes) const {
  const std::vector<std::string_view> views(scopes.begin(), scopes.end());
  return principal_for_key_checked(std::span<const std::string_view>(views));
}

}  // namespace scopegate
