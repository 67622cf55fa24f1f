// The scope reference in Markdown, for the repository: prose escaped, code spans that
// hold any text.
#include <fmt/format.h>

#include <algorithm>

#include "scope_reference_model.hpp"

namespace scopegate::docs {

namespace {

// Prose: characters Markdown would read as markup are escaped.
std::string md_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\`*_[]<>|").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// A code span that holds any text, backticks included.
std::string md_code(std::string_view text) {
  std::size_t longest = 0;
  std::size_t run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  const bool pad = !text.empty() && (text.front() == '`' || text.back() == '`');
  return fmt::format("{0}{1}{2}{1}{0}", fence, pad ? " " : "", text);
}

std::string md_conditions(const std::vector<std::string>& conditions) {
  if (conditions.empty()) return {};
  std::vector<std::string> codes;
  for (const std::string& condition : conditions) codes.push_back(md_code(condition));
  std::string joined;
  for (const std::string& code : codes) joined += (joined.empty() ? "" : " or ") + code;
  return fmt::format("; only when {}", joined);
}

std::string md_route(const RouteDoc& route) {
  std::string line = fmt::format("- {}", md_code(route.route));
  if (!route.description.empty()) line += fmt::format(" - {}", md_text(route.description));
  return line + md_conditions(route.conditions) + "\n";
}

}  // namespace

std::string markdown(const Reference& reference) {
  std::string out = fmt::format("# {}\n\n{}\n", title, md_text(intro));

  out += "\n## Available Scopes\n";
  for (const ScopeDoc& scope : reference.plain) {
    out += fmt::format("\n### {}\n\n", md_text(scope.name));
    if (!scope.summary.empty()) out += md_text(scope.summary) + "\n\n";
    out += "**Grants access to:**\n\n";
    for (const RouteDoc& route : scope.routes) out += md_route(route);
    if (scope.routes.empty()) out += "- nothing by itself\n";
    if (!scope.implies.empty()) {
      std::string names;
      for (const std::string& name : scope.implies)
        names += (names.empty() ? "" : ", ") + md_code(name);
      out += fmt::format("\nAlso grants everything {} grants{}.\n", names,
                         scope.implies.size() > 1 ? " together" : "");
    }
    if (!scope.use_cases.empty()) {
      out += "\n**Use cases:**\n\n";
      for (const std::string& use_case : scope.use_cases)
        out += fmt::format("- {}\n", md_text(use_case));
    }
    for (const std::string& note : scope.notes)
      out += fmt::format("\n**Note:** {}\n", md_text(note));
  }

  out += "\n## Endpoint Protection\n\n";
  out +=
      "Not all endpoints support API key authentication. Only the endpoints a scope above "
      "grants can be accessed with API keys.\n";
  if (!reference.user.empty()) {
    out += "\nCurrently unsupported endpoints:\n\n";
    for (const ScopeDoc& scope : reference.user) {
      std::string routes;
      for (const RouteDoc& route : scope.routes) {
        routes += (routes.empty() ? "" : ", ") + md_code(route.route);
      }
      out += fmt::format("- {} ({}): {}\n",
                         md_text(scope.summary.empty() ? scope.name : scope.summary),
                         md_code(scope.name), routes);
    }
    out += "\nThese endpoints require user authentication via `Authorization: Bearer` tokens.\n";
  }
  if (!reference.open.empty()) {
    out += "\nEndpoints open to anyone, without credentials:\n\n";
    for (const RouteDoc& route : reference.open) out += md_route(route);
  }
  if (!reference.authenticated.empty()) {
    out += "\nEndpoints open to any API key, whatever its scopes, and to any signed-in user:\n\n";
    for (const RouteDoc& route : reference.authenticated) out += md_route(route);
  }

  if (!reference.refusal_example.empty()) {
    out += "\n## Scope Validation\n\n";
    out +=
        "If a key lacks the required scope, the request returns 403 Forbidden with a "
        "message naming the scopes that would grant it, for example:\n\n";
    out += fmt::format("```\n{}\n```\n", reference.refusal_example);
  }

  if (!reference.forbids.empty()) {
    out += "\n## Restrictions\n\n";
    out += "These rules refuse (403 Forbidden) a request that would otherwise be allowed:\n\n";
    for (const ForbidDoc& rule : reference.forbids) {
      out += fmt::format(
          "- {}{}: {}\n", md_code(rule.route),
          rule.condition.empty() ? "" : fmt::format(" when {}", md_code(rule.condition)),
          md_text(rule.message));
    }
  }

  if (!reference.future.empty()) {
    out += "\n## Future Scopes\n\n";
    out += "Additional scopes may be added in future releases:\n\n";
    for (const ScopeDoc& scope : reference.future) {
      out += fmt::format("- {}{}\n", md_code(scope.name),
                         scope.summary.empty() ? "" : " - " + md_text(scope.summary));
    }
    out += "\nThey cannot be granted yet: a key created with one is refused.\n";
  }

  if (!reference.roles.empty()) {
    out += "\n## Roles\n\n";
    out += "A signed-in user holds the scopes of their role:\n\n";
    for (const RoleDoc& role : reference.roles) {
      out += fmt::format("- {}{}: {}\n", md_code(role.name),
                         role.summary.empty() ? "" : " - " + md_text(role.summary),
                         role_scopes_text(role, md_code));
    }
  }
  return out;
}

}  // namespace scopegate::docs
