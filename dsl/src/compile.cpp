// compile_source / compile_files (and check_*, with warnings): load -> parse -> lower ->
// PolicyBuilder, and every BuildError mapped back to the span it is about, with a help
// line and notes; then, for a policy that builds, the warnings of warnings.cpp.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <tuple>

#include <fmt/format.h>

#include "acknowledge.hpp"
#include "closed_values.hpp"
#include "read_file.hpp"
#include "route_text.hpp"
#include "scope_names.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/dsl/lower.hpp"
#include "scopegate/dsl/parse.hpp"
#include "scopegate/policy_builder.hpp"
#include "scopegate/suggest.hpp"
#include "style_warnings.hpp"
#include "warnings.hpp"

namespace scopegate {

namespace {

namespace fs = std::filesystem;

// "scope 'a'", "user scope 'b'", "the public block".
std::string route_owner(const RouteEntry& entry) {
  switch (entry.spec.access) {
    case Access::public_:
      return "the public block";
    case Access::authenticated:
      return "the authenticated block";
    case Access::scoped:
      break;
  }
  return fmt::format("{} '{}'", to_string(entry.scope_kind), entry.spec.scope);
}

const char* const scope_name_rule =
    "a scope name is an OAuth 2.0 scope token (RFC 6749 section 3.3): printable ASCII "
    "characters other than space, '\"' and '\\', e.g. 'repo', 'chat:write.public', "
    "'User.Read.All'; write it in quotes when it holds '{', '}' or '#', or is a keyword";

class ErrorMapper {
 public:
  explicit ErrorMapper(const Model& model) : m_model(model) {
    // Only valid names are suggested: an invalid one has its own error already.
    for (const auto& scope : model.scopes) {
      if (is_valid_scope_name(scope.spec.name)) m_scope_names.push_back(scope.spec.name);
    }
  }

  Diagnostic map(const BuildError& error) const {
    using Kind = BuildError::Kind;
    switch (error.kind) {
      case Kind::bad_scope_name:
        return bad_scope_name(error);
      case Kind::duplicate_scope:
        return duplicate_scope(error);
      case Kind::unknown_scope:
        return unknown_scope(error);
      case Kind::implies_cycle:
        return implies_cycle(error);
      case Kind::future_scope_routes:
        return future_scope_routes(error);
      case Kind::bad_template:
        return bad_template(error);
      case Kind::duplicate_route:
        return duplicate_route(error);
      case Kind::route_tie:
        return route_tie(error);
      case Kind::access_conflict:
        return access_conflict(error);
      case Kind::plain_covers_user:
        return plain_covers_user(error);
      case Kind::duplicate_role:
        return duplicate_role(error);
      case Kind::bad_condition:
        return bad_condition(error);
    }
    return {};
  }

 private:
  static Diagnostic make(std::string code, Span span, std::string message, std::string help = {}) {
    Diagnostic d;
    d.code = std::move(code);
    d.span = std::move(span);
    d.message = std::move(message);
    d.help = std::move(help);
    return d;
  }

  const ScopeEntry* find_scope(std::string_view name) const {
    const auto found = std::find_if(m_model.scopes.begin(), m_model.scopes.end(),
                                    [&](const ScopeEntry& s) { return s.spec.name == name; });
    return found == m_model.scopes.end() ? nullptr : &*found;
  }

  // The span of entry `entry` of a list (a scope's implies, a role's scopes), or the
  // span of the whole declaration if the list has none for it.
  static const Span& entry_span(const std::vector<Span>& spans, std::size_t entry,
                                const Span& whole) {
    return entry < spans.size() ? spans[entry] : whole;
  }

  // At the first character a scope-token may not hold, as written.
  Diagnostic bad_scope_name(const BuildError& error) const {
    const ScopeEntry& scope = m_model.scopes[error.first];
    Span span = scope.name;
    const std::string_view written =
        span.file ? std::string_view(span.file->text).substr(span.offset, span.length)
                  : std::string_view();
    const auto fault = scope_name_fault(written);
    if (!fault || fault->what == "nothing") {
      return make("bad-scope-name", span, "a scope name cannot be empty", scope_name_rule);
    }
    span.offset += fault->offset;
    span.column += static_cast<std::uint32_t>(fault->offset);
    span.length = fault->length;
    return make(
        "bad-scope-name", span,
        fmt::format("invalid scope name '{}': it contains {}", scope.spec.name, fault->what),
        scope_name_rule);
  }

  Diagnostic duplicate_scope(const BuildError& error) const {
    const ScopeEntry& scope = m_model.scopes[error.first];
    const ScopeEntry& earlier = m_model.scopes[error.second];
    Diagnostic d = make("duplicate-scope", scope.name,
                        fmt::format("scope '{}' is declared twice", scope.spec.name),
                        "merge the two blocks into one, or rename one of them");
    d.notes.push_back({earlier.name, fmt::format("'{}' is first declared here", scope.spec.name)});
    return d;
  }

  Diagnostic unknown_scope(const BuildError& error) const {
    using Subject = BuildError::Subject;
    const std::string& name = error.detail;
    Span span;
    std::string message;
    if (error.subject == Subject::role) {
      const RoleEntry& role = m_model.roles[error.first];
      span = entry_span(role.scopes, error.entry, role.name);
      message = fmt::format("unknown scope '{}' in role '{}'", name, role.spec.name);
    } else if (error.subject == Subject::scope) {
      const ScopeEntry& scope = m_model.scopes[error.first];
      span = entry_span(scope.implies, error.entry, scope.name);
      message = fmt::format("unknown scope '{}' implied by scope '{}'", name, scope.spec.name);
    } else {
      const RouteEntry& route = m_model.routes[error.first];
      span = route.line;
      message = fmt::format("route '{}' names unknown scope '{}'", route_text(route.spec), name);
    }
    Diagnostic d = make("unknown-scope", span, message);
    if (auto suggestion = closest_match(name, m_scope_names)) {
      d.help = fmt::format("did you mean '{}'?", *suggestion);
      if (const ScopeEntry* target = find_scope(*suggestion)) {
        d.notes.push_back({target->name, fmt::format("'{}' is defined here", *suggestion)});
      }
    } else {
      d.help = fmt::format("declare it with `scope {} {{ ... }}`, or remove it",
                           written_scope_name(name));
    }
    return d;
  }

  Diagnostic implies_cycle(const BuildError& error) const {
    const ScopeEntry& scope = m_model.scopes[error.first];
    // The cycle leaves this scope by its `implies` entry `error.entry`: point there.
    const Span& span = entry_span(scope.implies, error.entry, scope.name);
    const std::string next =
        error.entry < scope.spec.implies.size() ? scope.spec.implies[error.entry] : std::string();
    Diagnostic d = make("implies-cycle", span,
                        fmt::format("scope '{}' implies itself: {}", scope.spec.name, error.detail),
                        "remove one `implies` of the cycle; a scope that should grant both can "
                        "be granted alongside the other");
    if (!next.empty() && next != scope.spec.name) {
      if (const ScopeEntry* target = find_scope(next)) {
        d.notes.push_back({target->name, fmt::format("'{}' is declared here", next)});
      }
    }
    return d;
  }

  Diagnostic future_scope_routes(const BuildError& error) const {
    const RouteEntry& route = m_model.routes[error.first];
    Diagnostic d = make(
        "future-scope-routes", route.line,
        fmt::format("future scope '{}' lists route '{}'", route.spec.scope, route_text(route.spec)),
        "a future scope grants nothing yet: remove the route, or drop `future` once the scope "
        "can be granted");
    if (const ScopeEntry* scope = find_scope(route.spec.scope)) {
      d.notes.push_back({scope->name, "declared future here"});
    }
    return d;
  }

  Diagnostic bad_template(const BuildError& error) const {
    const bool forbid = error.subject == BuildError::Subject::forbid;
    const std::string& written = forbid ? m_model.forbids[error.first].spec.path_template
                                        : m_model.routes[error.first].spec.path_template;
    const TemplateError& te = error.template_error;
    const Span& whole = forbid ? m_model.forbids[error.first].path_template
                               : m_model.routes[error.first].path_template;
    Span span = whole;
    span.offset = whole.offset + std::min(te.offset, whole.length);
    span.column = whole.column + static_cast<std::uint32_t>(span.offset - whole.offset);
    span.length = std::min(te.length, whole.length - (span.offset - whole.offset));
    const std::string& reason = te.message.empty() ? error.detail : te.message;
    return make(
        "bad-template", span,
        fmt::format("invalid {} template '{}': {}", forbid ? "forbid" : "route", written, reason),
        te.help);
  }

  Diagnostic duplicate_route(const BuildError& error) const {
    const RouteEntry& route = m_model.routes[error.first];
    const RouteEntry& earlier = m_model.routes[error.second];
    Diagnostic d = make(
        "duplicate-route", route.line,
        fmt::format("route '{}' is listed twice in {}", route_text(route.spec), route_owner(route)),
        "remove one of the two lines");
    d.notes.push_back({earlier.line, "first listed here"});
    return d;
  }

  Diagnostic route_tie(const BuildError& error) const {
    const RouteEntry& route = m_model.routes[error.first];
    const RouteEntry& other = m_model.routes[error.second];
    Diagnostic d = make(
        "route-tie", route.line,
        fmt::format("route '{}' ties with '{}'", route_text(route.spec), route_text(other.spec)),
        "both templates match exactly the same paths, so no request could tell them apart; "
        "write them the same way (same parameter names, `{name}` rather than `*`), or keep "
        "only one");
    d.notes.push_back({other.line, "the other route is here"});
    return d;
  }

  Diagnostic access_conflict(const BuildError& error) const {
    const RouteEntry& route = m_model.routes[error.first];
    const RouteEntry& other = m_model.routes[error.second];
    Diagnostic d = make("access-conflict", route.line,
                        fmt::format("route '{}' is listed in {} and in {}", route_text(route.spec),
                                    route_owner(other), route_owner(route)),
                        "an endpoint is either public, or authenticated, or granted by scopes: "
                        "keep only one of the lines");
    d.notes.push_back({other.line, fmt::format("also listed in {} here", route_owner(other))});
    return d;
  }

  Diagnostic plain_covers_user(const BuildError& error) const {
    const RouteEntry& route = m_model.routes[error.first];
    const RouteEntry& user = m_model.routes[error.second];
    Diagnostic d = make(
        "plain-covers-user", route.line,
        fmt::format("route '{}' of scope '{}' covers '{}' of user scope '{}'",
                    route_text(route.spec), route.spec.scope, route_text(user.spec),
                    user.spec.scope),
        fmt::format("API keys holding '{}' would reach a user-only endpoint: narrow the template, "
                    "or make '{}' a `user scope`",
                    route.spec.scope, route.spec.scope));
    d.notes.push_back({user.line, "the user-only endpoint is defined here"});
    return d;
  }

  Diagnostic duplicate_role(const BuildError& error) const {
    const RoleEntry& role = m_model.roles[error.first];
    const RoleEntry& earlier = m_model.roles[error.second];
    Diagnostic d = make("duplicate-role", role.name,
                        fmt::format("role '{}' is declared twice", role.spec.name),
                        "merge the two blocks into one (a role may have several `scopes` lines), "
                        "or rename one of them");
    d.notes.push_back({earlier.name, fmt::format("'{}' is first declared here", role.spec.name)});
    return d;
  }

  // A condition the engine refused, at the node it names. The engine's error kind decides
  // the code: an unknown attribute or route parameter, a malformed literal, an unknown
  // scope name, and otherwise a type error.
  Diagnostic bad_condition(const BuildError& error) const {
    const bool forbid = error.subject == BuildError::Subject::forbid;
    const std::vector<Span>& nodes = forbid ? m_model.forbids[error.first].condition_nodes
                                            : m_model.routes[error.first].condition_nodes;
    const Span fallback =
        forbid ? m_model.forbids[error.first].line : m_model.routes[error.first].line;
    const Span span = error.condition_tag < nodes.size() ? nodes[error.condition_tag] : fallback;
    const std::string& detail = error.detail;
    const std::string_view written =
        span.file ? std::string_view(span.file->text).substr(span.offset, span.length)
                  : std::string_view();

    std::string code = "bad-condition";
    std::string help = error.help;
    using ErrorKind = ConditionErrorKind;
    if (error.condition_error == ErrorKind::unknown_attribute) {
      code = "unknown-attribute";
      help = attribute_help(written, error.help);
    } else if (error.condition_error == ErrorKind::unknown_parameter) {
      code = "unknown-attribute";
      help = parameter_help(error);
    } else if (error.condition_error == ErrorKind::bad_literal) {
      code = "bad-literal";
      if (has_resource_action_style(written)) {
        help = fmt::format("a scope name is written as a string: `\"{}\" in principal.scopes`",
                           written);
      }
    } else if (error.condition_error == ErrorKind::unknown_scope) {
      code = "unknown-scope";
      const std::string name(written.size() >= 2 ? written.substr(1, written.size() - 2) : written);
      if (auto suggestion = closest_match(name, m_scope_names)) {
        help = fmt::format("did you mean '{}'?", *suggestion);
      }
    }
    Diagnostic d = make(code, span, detail, help);
    if (!forbid && error.condition_tag < m_model.routes[error.first].scope_condition_nodes) {
      const RouteEntry& route = m_model.routes[error.first];
      d.notes.push_back({route.line, fmt::format("in the condition of scope '{}' for this route",
                                                 route.spec.scope)});
    }
    return d;
  }

  // The engine suggests a close name, or lists them all: narrow the list to the family
  // the author started (request.*, principal.*), or fix the first part.
  static std::string attribute_help(std::string_view written, const std::string& engine_help) {
    if (engine_help.starts_with("did you mean")) return engine_help;
    const std::size_t dot = written.find('.');
    const std::string_view head = written.substr(0, dot);
    std::vector<std::string> families = {"request", "principal"};
    std::string family(head);
    if (std::find(families.begin(), families.end(), family) == families.end()) {
      if (auto suggestion = closest_match(head, families)) {
        const std::string fixed =
            *suggestion + std::string(dot == std::string_view::npos ? "" : written.substr(dot));
        if (find_attribute(fixed)) return fmt::format("did you mean '{}'?", fixed);
        return fmt::format("did you mean '{}'? `{}` has: {}", *suggestion, *suggestion,
                           join_attributes(*suggestion + "."));
      }
      return "attributes start with `request.` or `principal.`: " + join_attributes({});
    }
    return fmt::format("`{}` has: {}", family, join_attributes(family + "."));
  }

  static std::string join_attributes(const std::string& prefix) {
    std::string out;
    for (const std::string_view name : attribute_names()) {
      if (!name.starts_with(prefix)) continue;
      if (!out.empty()) out += ", ";
      out += name;
    }
    return out;
  }

  // `request.param.NAME` that the route's template does not bind.
  std::string parameter_help(const BuildError& error) const {
    if (error.subject != BuildError::Subject::route) return error.help;
    const std::string prefix = "this route has no parameter '";
    const std::string name =
        error.detail.substr(prefix.size(), error.detail.size() - prefix.size() - 1);
    const auto parsed = parse_template(m_model.routes[error.first].spec.path_template);
    std::vector<std::string> params;
    if (parsed) {
      for (const Segment& segment : parsed->segments) {
        if (segment.kind == SegmentKind::param) params.push_back(segment.text);
      }
    }
    if (auto suggestion = closest_match(name, params)) {
      return fmt::format("did you mean 'request.param.{}'? {}", *suggestion, error.help);
    }
    return error.help;
  }

  const Model& m_model;
  std::vector<std::string> m_scope_names;
};

// Whether a compile that succeeds looks for warnings too, and for which.
enum class Warnings : std::uint8_t { skip, find, find_with_style };

Compilation compile_files_parsed(std::vector<ast::File> files, Diagnostics diagnostics,
                                 Warnings warnings) {
  Compilation out;
  if (!diagnostics.empty()) {
    diagnostics.sort();
    out.diagnostics = std::move(diagnostics);
    return out;
  }
  LowerResult lowered = lower(files);
  diagnostics.append(std::move(lowered.diagnostics));
  diagnostics.append(check_closed_values(lowered.model));

  PolicyBuilder builder;
  for (const ScopeEntry& scope : lowered.model.scopes) builder.add_scope(scope.spec);
  for (const RouteEntry& route : lowered.model.routes) builder.add_route(route.spec);
  for (const RoleEntry& role : lowered.model.roles) builder.add_role(role.spec);
  for (const ForbidEntry& forbid : lowered.model.forbids) builder.add_forbid(forbid.spec);
  auto built = std::move(builder).build();
  if (!built) {
    ErrorMapper mapper(lowered.model);
    // A scope's condition is checked once per route: report each fault once.
    std::set<std::tuple<std::string, std::size_t, std::string>> seen;
    for (const BuildError& error : built.error()) {
      Diagnostic d = mapper.map(error);
      if (error.kind == BuildError::Kind::bad_condition && d.span.file &&
          !seen.emplace(d.span.file->name, d.span.offset, d.message).second) {
        continue;
      }
      diagnostics.add(std::move(d));
    }
  }
  if (diagnostics.empty()) {
    // Warnings are looked for only in a policy that builds: they need what it grants.
    if (warnings != Warnings::skip) {
      Diagnostics found = find_warnings(lowered.model, *built);
      const Lints lints =
          warnings == Warnings::find_with_style ? Lints::warnings_and_style : Lints::warnings;
      if (lints == Lints::warnings_and_style) found.append(find_style_warnings(lowered.model));
      apply_acknowledgements(files, found, lints);
      diagnostics.append(std::move(found));
    }
    out.policy.emplace(std::move(*built));
  }
  diagnostics.sort();
  out.diagnostics = std::move(diagnostics);
  return out;
}

Warnings warnings_for(Lints lints) {
  return lints == Lints::warnings_and_style ? Warnings::find_with_style : Warnings::find;
}

Result<Policy, Diagnostics> without_warnings(Compilation compiled) {
  if (compiled.policy) return std::move(*compiled.policy);
  return unexpected(std::move(compiled.diagnostics));
}

Compilation compile_text(std::string_view file_name, std::string_view text, Warnings warnings) {
  auto source =
      std::make_shared<const SourceFile>(SourceFile{std::string(file_name), std::string(text)});
  ParseResult parsed = parse(std::move(source));
  std::vector<ast::File> files;
  files.push_back(std::move(parsed.file));
  return compile_files_parsed(std::move(files), std::move(parsed.diagnostics), warnings);
}

Compilation compile_paths(const std::vector<std::filesystem::path>& paths, Warnings warnings) {
  Diagnostics diagnostics;
  std::vector<ast::File> files;
  const FileKind kind{"policy", ".policy", "no-policy-files", max_file_bytes,
                      "split the policy into several files in one directory"};
  read_files(paths, kind, diagnostics, [&](std::string name, std::string text) {
    ParseResult parsed =
        parse(std::make_shared<const SourceFile>(SourceFile{std::move(name), std::move(text)}));
    diagnostics.append(std::move(parsed.diagnostics));
    files.push_back(std::move(parsed.file));
  });
  return compile_files_parsed(std::move(files), std::move(diagnostics), warnings);
}

}  // namespace

Result<Policy, Diagnostics> compile_source(std::string_view file_name, std::string_view text) {
  return without_warnings(compile_text(file_name, text, Warnings::skip));
}

Result<Policy, Diagnostics> compile_files(const std::vector<std::filesystem::path>& paths) {
  return without_warnings(compile_paths(paths, Warnings::skip));
}

Compilation check_source(std::string_view file_name, std::string_view text, Lints lints) {
  return compile_text(file_name, text, warnings_for(lints));
}

Compilation check_files(const std::vector<std::filesystem::path>& paths, Lints lints) {
  return compile_paths(paths, warnings_for(lints));
}

}  // namespace scopegate
