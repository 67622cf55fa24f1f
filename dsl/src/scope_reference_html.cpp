// The scope reference in HTML, for a browser: one self-contained page (inline style,
// no scripts, no links out), every policy text escaped, and an access matrix of every
// endpoint against every key and user scope.
#include <fmt/format.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "scope_reference_model.hpp"

namespace scopegate::docs {

namespace {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// "sessions:read" -> "scope-sessions-read", "User.Read.All" -> "scope-user-read-all": a
// readable id for in-page links. Different names may give the same one (`a:b`, `A.b`):
// AnchorIds makes each unique.
std::string readable_anchor(std::string_view name) {
  std::string id = "scope-";
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    id += keep ? c : '-';
  }
  return id;
}

// One id per scope of the page, in the page's order: the readable anchor, and "-2",
// "-3", ... after it for a later scope whose anchor is taken.
class AnchorIds {
 public:
  explicit AnchorIds(const std::vector<ScopeDoc>& scopes) {
    std::set<std::string> taken;
    for (const ScopeDoc& scope : scopes) {
      const std::string base = readable_anchor(scope.name);
      std::string id = base;
      for (int n = 2; !taken.insert(id).second; ++n) id = fmt::format("{}-{}", base, n);
      m_ids.emplace(scope.name, std::move(id));
    }
  }

  std::string operator()(const std::string& name) const {
    const auto found = m_ids.find(name);
    return found == m_ids.end() ? readable_anchor(name) : found->second;
  }

 private:
  std::map<std::string, std::string> m_ids;
};

constexpr std::string_view stylesheet = R"(
body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 0; color: #1f2328; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 2rem 3rem; }
code { font-family: ui-monospace, monospace; background: #f3f4f6; padding: 0 .25em; border-radius: 3px; }
section.scope { border-left: 3px solid #2563eb; padding-left: 1rem; margin: 1.5rem 0; }
p.note { background: #fef9c3; padding: .5rem .75rem; }
table.matrix { border-collapse: collapse; font-size: .9rem; }
table.matrix th, table.matrix td { border: 1px solid #d0d7de; padding: .25rem .5rem; }
table.matrix thead th { background: #f6f8fa; position: sticky; top: 0; }
table.matrix th.scope { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
table.matrix th.user-scope { background: #ede9fe; }
table.matrix td.grant { text-align: center; background: #dcfce7; }
table.matrix td.conditional { text-align: center; background: #fef3c7; }
table.matrix td.implied { text-align: center; background: #ecfccb; font-size: .8rem; }
table.matrix td.refused { background: #fee2e2; white-space: nowrap; }
tr.public td.access { background: #dbeafe; }
tr.authenticated td.access { background: #e0f2fe; }
tr.user-only td.access { background: #ede9fe; }
.description { color: #57606a; }
)";

std::string html_route_item(const RouteDoc& route) {
  std::string item = fmt::format("<li><code>{}</code>", html_escape(route.route));
  if (!route.description.empty()) item += " - " + html_escape(route.description);
  if (!route.conditions.empty()) {
    std::string joined;
    for (const std::string& condition : route.conditions) {
      joined +=
          (joined.empty() ? "" : " or ") + fmt::format("<code>{}</code>", html_escape(condition));
    }
    item += fmt::format("; only when {}", joined);
  }
  return item + "</li>\n";
}

// Who the forbid rules covering an endpoint refuse there: "API keys*" (* under a
// condition), the rules and their messages in the tooltip.
std::string refused_cell(const Policy& policy, const std::vector<Restriction>& refusals) {
  if (refusals.empty()) return "<td></td>";
  std::string text;
  std::string title;
  for (const Restriction& restriction : refusals) {
    const ForbidRule& rule = policy.forbids()[restriction.rule];
    for (const std::string& kind : restriction.kinds) {
      text += fmt::format("{}{}{}", text.empty() ? "" : ", ", kind, restriction.always ? "" : "*");
    }
    if (restriction.method != Method::any) {
      text += fmt::format(" ({} only)", to_string(restriction.method));
    }
    title +=
        fmt::format("{}forbid {} {}{}{}: {}", title.empty() ? "" : "; ", to_string(rule.method),
                    rule.path_template, rule.condition_text.empty() ? "" : " when ",
                    rule.condition_text, rule.message);
  }
  return fmt::format("<td class=\"refused\" title=\"{}\">&#9940; {}</td>", html_escape(title),
                     html_escape(text));
}

// One scope's cell: a check mark where it grants the endpoint (`*`: under a condition),
// "implied" where a scope it implies does, empty otherwise.
std::string grant_cell(const Policy& policy, const Endpoint& endpoint, ScopeId id) {
  bool granted = false;
  bool always = false;
  std::string conditions;
  for (const Grant& grant : endpoint.grants) {
    if (grant.scope != id) continue;
    granted = true;
    if (!grant.has_condition()) {
      always = true;
    } else {
      conditions += fmt::format("{}{}", conditions.empty() ? "" : " or ", grant.condition->text);
    }
  }
  if (granted && always) return "<td class=\"grant\">&#10003;</td>";
  if (granted) {
    return fmt::format("<td class=\"conditional\" title=\"only when {}\">&#10003;*</td>",
                       html_escape(conditions));
  }
  std::string through;
  for (const ScopeId implied : policy.scopes()[id].closure) {
    if (implied == id) continue;
    for (const Grant& grant : endpoint.grants) {
      if (grant.scope != implied) continue;
      through += fmt::format("{}{}", through.empty() ? "" : ", ", policy.scopes()[implied].name);
      break;
    }
  }
  if (through.empty()) return "<td></td>";
  return fmt::format("<td class=\"implied\" title=\"through implies: {}\">&#10003; implied</td>",
                     html_escape(through));
}

std::string html_matrix(const Policy& policy) {
  std::vector<ScopeId> columns;
  for (ScopeId id = 0; id < policy.scopes().size(); ++id) {
    if (policy.scopes()[id].kind == ScopeKind::plain) columns.push_back(id);
  }
  for (ScopeId id = 0; id < policy.scopes().size(); ++id) {
    if (policy.scopes()[id].kind == ScopeKind::user) columns.push_back(id);
  }
  const std::vector<std::vector<Restriction>> refusals = restrictions(policy);
  std::string out =
      "<table class=\"matrix\">\n<thead><tr><th>Endpoint</th><th>Who may call it</th>"
      "<th>Refused by a forbid rule</th>";
  for (ScopeId id : columns) {
    const Scope& scope = policy.scopes()[id];
    const bool user = scope.kind == ScopeKind::user;
    out +=
        fmt::format("<th class=\"scope{}\" title=\"{}\">{}</th>", user ? " user-scope" : "",
                    html_escape(user ? "user scope: never granted to API keys" : "API key scope"),
                    html_escape(scope.name));
  }
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t e = 0; e < policy.endpoints().size(); ++e) {
    const Endpoint& endpoint = policy.endpoints()[e];
    std::string row_class;
    std::string access;
    switch (endpoint.access) {
      case Access::public_:
        row_class = "public";
        access = "public: anyone";
        break;
      case Access::authenticated:
        row_class = "authenticated";
        access = "authenticated: any key or user";
        break;
      case Access::scoped:
        row_class = endpoint.key_scopes().empty() ? "user-only" : "key";
        access =
            endpoint.key_scopes().empty() ? "user only (Bearer token)" : "API key with a scope";
        break;
    }
    out += fmt::format("<tr class=\"{}\"><td><code>{}</code>", row_class,
                       html_escape(route_of(endpoint)));
    if (!endpoint.description.empty()) {
      out += fmt::format("<br><span class=\"description\">{}</span>",
                         html_escape(endpoint.description));
    }
    out += fmt::format("</td><td class=\"access\">{}</td>", html_escape(access));
    out += refused_cell(policy, refusals[e]);
    for (ScopeId id : columns) out += grant_cell(policy, endpoint, id);
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  out +=
      "<p>&#10003; the scope grants the endpoint; &#10003;* only while its condition holds "
      "(hover for it); &#10003; implied: a scope it implies grants it (hover for which). User "
      "scopes (shaded headers) reach signed-in users through their role, never API keys.";
  if (!policy.forbids().empty()) {
    out +=
        " &#9940; names the callers a forbid rule refuses the endpoint to, whatever their "
        "scopes (* only while the rule's condition holds; hover for the rule).";
  }
  out += "</p>\n";
  return out;
}

}  // namespace

std::string html(const Policy& policy, const Reference& reference) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
                     html_escape(title), stylesheet);
  out += fmt::format("<h1>{}</h1>\n<p>{}</p>\n", html_escape(title), html_escape(intro));

  out += "<h2 id=\"available-scopes\">Available Scopes</h2>\n";
  const AnchorIds ids(reference.plain);
  for (const ScopeDoc& scope : reference.plain) {
    out += fmt::format("<section class=\"scope\" id=\"{}\">\n<h3><code>{}</code></h3>\n",
                       ids(scope.name), html_escape(scope.name));
    if (!scope.summary.empty()) out += fmt::format("<p>{}</p>\n", html_escape(scope.summary));
    out += "<p><strong>Grants access to:</strong></p>\n<ul>\n";
    for (const RouteDoc& route : scope.routes) out += html_route_item(route);
    if (scope.routes.empty()) out += "<li>nothing by itself</li>\n";
    out += "</ul>\n";
    if (!scope.implies.empty()) {
      std::string names;
      for (const std::string& name : scope.implies) {
        names += (names.empty() ? "" : ", ") +
                 fmt::format("<a href=\"#{}\"><code>{}</code></a>", ids(name), html_escape(name));
      }
      out += fmt::format("<p>Also grants everything {} grants{}.</p>\n", names,
                         scope.implies.size() > 1 ? " together" : "");
    }
    if (!scope.use_cases.empty()) {
      out += "<p><strong>Use cases:</strong></p>\n<ul>\n";
      for (const std::string& use_case : scope.use_cases) {
        out += fmt::format("<li>{}</li>\n", html_escape(use_case));
      }
      out += "</ul>\n";
    }
    for (const std::string& note : scope.notes) {
      out += fmt::format("<p class=\"note\"><strong>Note:</strong> {}</p>\n", html_escape(note));
    }
    out += "</section>\n";
  }

  out += "<h2 id=\"endpoint-protection\">Endpoint Protection</h2>\n";
  out +=
      "<p>Not all endpoints support API key authentication. Only the endpoints a scope above "
      "grants can be accessed with API keys.</p>\n";
  if (!reference.user.empty()) {
    out += "<p>Currently unsupported endpoints:</p>\n<ul>\n";
    for (const ScopeDoc& scope : reference.user) {
      std::string routes;
      for (const RouteDoc& route : scope.routes) {
        routes +=
            (routes.empty() ? "" : ", ") + fmt::format("<code>{}</code>", html_escape(route.route));
      }
      out += fmt::format("<li>{} (<code>{}</code>): {}</li>\n",
                         html_escape(scope.summary.empty() ? scope.name : scope.summary),
                         html_escape(scope.name), routes);
    }
    out +=
        "</ul>\n<p>These endpoints require user authentication via "
        "<code>Authorization: Bearer</code> tokens.</p>\n";
  }
  if (!reference.open.empty()) {
    out += "<p>Endpoints open to anyone, without credentials:</p>\n<ul>\n";
    for (const RouteDoc& route : reference.open) out += html_route_item(route);
    out += "</ul>\n";
  }
  if (!reference.authenticated.empty()) {
    out +=
        "<p>Endpoints open to any API key, whatever its scopes, and to any signed-in "
        "user:</p>\n<ul>\n";
    for (const RouteDoc& route : reference.authenticated) out += html_route_item(route);
    out += "</ul>\n";
  }

  if (!reference.refusal_example.empty()) {
    out += "<h2 id=\"scope-validation\">Scope Validation</h2>\n";
    out +=
        "<p>If a key lacks the required scope, the request returns 403 Forbidden with a "
        "message naming the scopes that would grant it, for example:</p>\n";
    out += fmt::format("<pre><code>{}</code></pre>\n", html_escape(reference.refusal_example));
  }

  if (!reference.forbids.empty()) {
    out += "<h2 id=\"restrictions\">Restrictions</h2>\n";
    out +=
        "<p>These rules refuse (403 Forbidden) a request that would otherwise be "
        "allowed:</p>\n<ul>\n";
    for (const ForbidDoc& rule : reference.forbids) {
      out += fmt::format("<li><code>{}</code>{}: {}</li>\n", html_escape(rule.route),
                         rule.condition.empty()
                             ? ""
                             : fmt::format(" when <code>{}</code>", html_escape(rule.condition)),
                         html_escape(rule.message));
    }
    out += "</ul>\n";
  }

  if (!reference.future.empty()) {
    out += "<h2 id=\"future-scopes\">Future Scopes</h2>\n";
    out += "<p>Additional scopes may be added in future releases:</p>\n<ul>\n";
    for (const ScopeDoc& scope : reference.future) {
      out += fmt::format("<li><code>{}</code>{}</li>\n", html_escape(scope.name),
                         scope.summary.empty() ? "" : " - " + html_escape(scope.summary));
    }
    out += "</ul>\n<p>They cannot be granted yet: a key created with one is refused.</p>\n";
  }

  if (!reference.roles.empty()) {
    out += "<h2 id=\"roles\">Roles</h2>\n";
    out += "<p>A signed-in user holds the scopes of their role:</p>\n<ul>\n";
    const auto code = [](std::string_view name) {
      return fmt::format("<code>{}</code>", html_escape(name));
    };
    for (const RoleDoc& role : reference.roles) {
      out += fmt::format("<li><code>{}</code>{}: {}</li>\n", html_escape(role.name),
                         role.summary.empty() ? "" : " - " + html_escape(role.summary),
                         role_scopes_text(role, code));
    }
    out += "</ul>\n";
  }

  out += "<h2 id=\"access-matrix\">Access Matrix</h2>\n";
  out += html_matrix(policy);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace scopegate::docs
