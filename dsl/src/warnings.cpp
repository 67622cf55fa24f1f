#include "warnings.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "acknowledge.hpp"
#include "constant_conditions.hpp"
#include "route_text.hpp"
#include "template_overlap.hpp"

namespace scopegate {

namespace {

// How many endpoints a wildcard warning names before "and N more".
constexpr std::size_t max_listed = 3;

Diagnostic warning(std::string code, Span span, std::string message, std::string help) {
  Diagnostic d;
  d.severity = Severity::warning;
  d.code = std::move(code);
  d.span = std::move(span);
  d.message = std::move(message);
  d.help = std::move(help);
  return d;
}

bool methods_meet(Method a, Method b) { return a == Method::any || b == Method::any || a == b; }

using EndpointKey = std::pair<Method, std::string>;

using LineAt = std::tuple<std::string, std::uint32_t, std::uint32_t>;

LineAt line_at(const SourceLocation& at) { return {std::string(at.file), at.line, at.column}; }

class WarningFinder {
 public:
  WarningFinder(const Model& model, const Policy& policy) : m_model(model), m_policy(policy) {
    for (std::size_t i = 0; i < model.routes.size(); ++i) {
      const RouteEntry& route = model.routes[i];
      const SourceLocation& at = route.spec.location;
      m_route_at.emplace(std::tuple(std::string(at.file), at.line, at.column), i);
      if (route.spec.access == Access::scoped) {
        m_listed_by[{route.spec.method, route.spec.path_template}].push_back(i);
      }
    }
  }

  Diagnostics run() {
    shared_routes();
    wildcard_grants();
    overlapping_routes();
    open_wildcards();
    forbids_matching_nothing();
    m_out.append(find_constant_conditions(m_model));
    empty_scopes();
    empty_roles();
    redundant_implies();
    return std::move(m_out);
  }

 private:
  // A route listed with the same method and template by two scopes: one endpoint,
  // granted by both.
  void shared_routes() {
    for (const auto& [key, routes] : m_listed_by) {
      for (std::size_t n = 1; n < routes.size(); ++n) {
        const RouteEntry& route = m_model.routes[routes[n]];
        const auto first = std::find_if(
            routes.begin(), routes.begin() + static_cast<long>(n),
            [&](std::size_t i) { return m_model.routes[i].spec.scope != route.spec.scope; });
        if (first == routes.begin() + static_cast<long>(n)) continue;
        const RouteEntry& earlier = m_model.routes[*first];
        // A key scope listing a user scope's route: keys get it through the one, users
        // through either (a released future scope beside the user scope); nothing to say.
        if (is_user_scope(earlier.spec.scope) != is_user_scope(route.spec.scope)) continue;
        Diagnostic d = warning("shared-route", route.line,
                               fmt::format("route '{}' is granted by scope '{}' and by scope '{}'",
                                           route_text(route.spec.method, route.spec.path_template),
                                           earlier.spec.scope, route.spec.scope),
                               shared_route_help(earlier, route));
        d.notes.push_back(
            {earlier.line, fmt::format("also granted by scope '{}' here", earlier.spec.scope)});
        m_out.add(std::move(d));
      }
    }
  }

  bool is_user_scope(std::string_view name) const {
    const auto id = m_policy.find_scope(name);
    return id && m_policy.scopes()[*id].kind == ScopeKind::user;
  }

  // Whether scope `holder` implies scope `implied`, directly or through others.
  bool implies(std::string_view holder, std::string_view implied) const {
    const auto from = m_policy.find_scope(holder);
    const auto to = m_policy.find_scope(implied);
    if (!from || !to || *from == *to) return false;
    const auto& closure = m_policy.scopes()[*from].closure;
    return std::find(closure.begin(), closure.end(), *to) != closure.end();
  }

  // Where one of the two scopes already implies the other, its own line is redundant
  // (when the implied scope's line always grants); else one scope may imply the other.
  std::string shared_route_help(const RouteEntry& a, const RouteEntry& b) const {
    const RouteEntry* holder = implies(a.spec.scope, b.spec.scope)   ? &a
                               : implies(b.spec.scope, a.spec.scope) ? &b
                                                                     : nullptr;
    if (holder == nullptr) {
      return fmt::format(
          "holders of either scope may call it; keep the line in one scope (the "
          "other may `implies` it), {}",
          acknowledge_help("shared-route"));
    }
    const RouteEntry& implied = holder == &a ? b : a;
    if (implied.spec.condition) {
      return fmt::format(
          "scope '{}' already implies scope '{}', so its own line only grants it "
          "where `{}` does not hold; keep one line, {}",
          holder->spec.scope, implied.spec.scope, implied.spec.condition_text,
          acknowledge_help("shared-route"));
    }
    return fmt::format(
        "scope '{}' already implies scope '{}', which grants it: the route line "
        "in '{}' is redundant; remove it, {}",
        holder->spec.scope, implied.spec.scope, holder->spec.scope,
        acknowledge_help("shared-route"));
  }

  // Whether scope `scope` lists the endpoint itself in its own block.
  // (Its line, or null.)
  const RouteEntry* listed_by_scope(const Endpoint& endpoint, std::string_view scope) const {
    const auto found = m_listed_by.find({endpoint.method, std::string(endpoint.path_template)});
    if (found == m_listed_by.end()) return nullptr;
    for (const std::size_t i : found->second) {
      if (m_model.routes[i].spec.scope == scope) return &m_model.routes[i];
    }
    return nullptr;
  }

  std::string defined_by(const Endpoint& endpoint) const {
    const auto found = m_listed_by.find({endpoint.method, std::string(endpoint.path_template)});
    if (found == m_listed_by.end() || found->second.empty()) return "another block";
    return fmt::format("scope '{}'", m_model.routes[found->second.front()].spec.scope);
  }

  // A route line whose template (or `*` method) grants endpoints that other scopes'
  // blocks declare: the engine's own grants say which.
  void wildcard_grants() {
    std::map<std::size_t, std::vector<const Endpoint*>> captured;  // route -> endpoints
    for (const Endpoint& endpoint : m_policy.endpoints()) {
      if (endpoint.access != Access::scoped) continue;
      for (const Grant& grant : endpoint.grants) {
        const std::string_view scope = m_policy.scopes()[grant.scope].name;
        if (const RouteEntry* own = listed_by_scope(endpoint, scope)) {
          if (own->spec.location != grant.location) condition_dropped(endpoint, grant, *own);
          continue;
        }
        const SourceLocation& at = grant.location;
        const auto route = m_route_at.find(std::tuple(std::string(at.file), at.line, at.column));
        if (route == m_route_at.end()) continue;
        captured[route->second].push_back(&endpoint);
      }
    }
    for (const auto& [index, endpoints] : captured) {
      const RouteEntry& route = m_model.routes[index];
      std::string list;
      for (std::size_t i = 0; i < endpoints.size() && i < max_listed; ++i) {
        if (!list.empty()) list += ", ";
        list +=
            fmt::format("'{}' ({})", route_text(endpoints[i]->method, endpoints[i]->path_template),
                        defined_by(*endpoints[i]));
      }
      if (endpoints.size() > max_listed) {
        list += fmt::format(" and {} more", endpoints.size() - max_listed);
      }
      const std::size_t count = endpoints.size();
      Diagnostic d = warning(
          "wildcard-grant", route.line,
          fmt::format("route '{}' of scope '{}' also grants {} endpoint{} declared in other "
                      "blocks: {}",
                      route_text(route.spec.method, route.spec.path_template), route.spec.scope,
                      count, count == 1 ? "" : "s", list),
          fmt::format("holders of '{}' may call them too; narrow the template or method, {}",
                      route.spec.scope, acknowledge_help("wildcard-grant")));
      const auto first =
          m_route_at.find(std::tuple(std::string(endpoints[0]->location.file),
                                     endpoints[0]->location.line, endpoints[0]->location.column));
      if (first != m_route_at.end()) {
        d.notes.push_back(
            {m_model.routes[first->second].line,
             fmt::format("'{}' is declared here",
                         route_text(endpoints[0]->method, endpoints[0]->path_template))});
      }
      m_out.add(std::move(d));
    }
  }

  // A wildcard line of a scope that grants an endpoint the scope's own line grants with a
  // condition, without that condition (or with another): the endpoint is granted while
  // either line's condition holds, so the own line's no longer restricts the scope.
  void condition_dropped(const Endpoint& endpoint, const Grant& grant, const RouteEntry& listed) {
    const std::string_view scope = m_policy.scopes()[grant.scope].name;
    const auto own =
        std::find_if(endpoint.grants.begin(), endpoint.grants.end(),
                     [&](const Grant& g) { return g.location == listed.spec.location; });
    if (own == endpoint.grants.end() || !own->has_condition()) return;
    if (grant.has_condition() && grant.condition->text == own->condition->text) return;
    const auto wildcard = m_route_at.find(line_at(grant.location));
    if (wildcard == m_route_at.end()) return;
    const RouteEntry& route = m_model.routes[wildcard->second];
    const std::string granted = route_text(endpoint.method, endpoint.path_template);
    const std::string_view condition = own->condition->text;
    Diagnostic d = warning(
        "wildcard-grant", route.line,
        grant.has_condition()
            ? fmt::format("route '{}' of scope '{}' also grants '{}' under another condition "
                          "than the scope's own line for it: `{}` instead of `{}`",
                          route_text(route.spec.method, route.spec.path_template), scope, granted,
                          grant.condition->text, condition)
            : fmt::format("route '{}' of scope '{}' also grants '{}' without the condition the "
                          "scope's own line for it has: `{}`",
                          route_text(route.spec.method, route.spec.path_template), scope, granted,
                          condition),
        grant.has_condition()
            ? fmt::format("holders of '{}' may call it where `{}` holds, even where `{}` does "
                          "not; give both lines the same condition, narrow the template, {}",
                          scope, grant.condition->text, condition,
                          acknowledge_help("wildcard-grant"))
            : fmt::format("holders of '{}' may call it whether `{}` holds or not; put the "
                          "condition on this line too, narrow the template, {}",
                          scope, condition, acknowledge_help("wildcard-grant")));
    d.notes.push_back(
        {listed.line, fmt::format("'{}' is declared here, with `{}`", granted, condition)});
    m_out.add(std::move(d));
  }

  // Two endpoints whose templates overlap without either covering the other
  // (`/api/{org}/reports/secret` and `/api/acme/reports/{name}`): a path both match
  // resolves to the more specific one alone, and the other's grants have no say there.
  // Reported when their methods meet and their grants differ, at the route that loses
  // such a path (which route wins is the engine's own lookup's answer), naming the path.
  void overlapping_routes() {
    const std::vector<Endpoint>& endpoints = m_policy.endpoints();
    const Templates& templates = parsed_templates();
    std::optional<std::string> placeholder;
    const TemplateTrie trie(templates.parsed);
    std::vector<std::uint32_t> met;
    for (std::size_t a = 0; a < templates.parsed.size(); ++a) {
      met.clear();
      trie.overlapping(templates.parsed[a], met);
      for (const std::uint32_t b : met) {
        if (b <= a) continue;  // each pair once; one template's methods are one endpoint each
        const Template& x = templates.parsed[a];
        const Template& y = templates.parsed[b];
        if (covers(x, y) || covers(y, x)) continue;
        for (const std::uint32_t i : templates.endpoints[a]) {
          for (const std::uint32_t j : templates.endpoints[b]) {
            if (!methods_meet(endpoints[i].method, endpoints[j].method) ||
                same_grants(endpoints[i], endpoints[j])) {
              continue;
            }
            if (!placeholder) placeholder = unused_literal(templates.parsed);
            overlapping_pair(endpoints[i], endpoints[j], x, y, example_path(x, y, *placeholder));
          }
        }
      }
    }
  }

  // Each distinct template of the policy's endpoints parsed once, with its endpoints.
  struct Templates {
    std::vector<Template> parsed;
    std::vector<std::vector<std::uint32_t>> endpoints;  // per template, in policy order
    std::vector<std::uint32_t> of;                      // per endpoint: its template
  };

  const Templates& parsed_templates() {
    if (m_templates) return *m_templates;
    Templates& out = m_templates.emplace();
    std::unordered_map<std::string_view, std::uint32_t> index;
    const std::vector<Endpoint>& endpoints = m_policy.endpoints();
    index.reserve(endpoints.size());
    out.of.reserve(endpoints.size());
    for (std::size_t e = 0; e < endpoints.size(); ++e) {
      const auto [at, added] = index.try_emplace(endpoints[e].path_template,
                                                 static_cast<std::uint32_t>(out.parsed.size()));
      if (added) {
        out.parsed.push_back(endpoints[e].parsed());
        out.endpoints.emplace_back();
      }
      out.endpoints[at->second].push_back(static_cast<std::uint32_t>(e));
      out.of.push_back(at->second);
    }
    return out;
  }

  static bool same_grants(const Endpoint& a, const Endpoint& b) {
    if (a.access != b.access || a.grants.size() != b.grants.size()) return false;
    using Key = std::pair<ScopeId, std::string_view>;
    const auto keys = [](const Endpoint& e) {
      std::vector<Key> out;
      for (const Grant& grant : e.grants) {
        out.emplace_back(grant.scope,
                         grant.has_condition() ? grant.condition->text : std::string_view());
      }
      std::sort(out.begin(), out.end());
      return out;
    };
    return keys(a) == keys(b);
  }

  // Whether `won` lets in a caller `lost` would refuse: it is more open, or some scope
  // grants it (under some condition, or none) whose holders `lost` does not let in as
  // well (through a scope they hold, under the same condition or none).
  bool widens(const Endpoint& won, const Endpoint& lost) const {
    if (won.access != Access::scoped || lost.access != Access::scoped) {
      const auto openness = [](Access access) {
        return access == Access::public_ ? 2 : access == Access::authenticated ? 1 : 0;
      };
      return openness(won.access) > openness(lost.access);
    }
    return std::any_of(won.grants.begin(), won.grants.end(), [&](const Grant& grant) {
      const auto& closure = m_policy.scopes()[grant.scope].closure;
      return std::none_of(lost.grants.begin(), lost.grants.end(), [&](const Grant& other) {
        return std::binary_search(closure.begin(), closure.end(), other.scope) &&
               !(grant.scope_kind == ScopeKind::plain && other.scope_kind == ScopeKind::user) &&
               (!other.has_condition() ||
                (grant.has_condition() && grant.condition->text == other.condition->text));
      });
    });
  }

  void overlapping_pair(const Endpoint& a, const Endpoint& b, const Template& a_parsed,
                        const Template& b_parsed, const std::string& path) {
    const Method method = a.method != Method::any   ? a.method
                          : b.method != Method::any ? b.method
                                                    : Method::get;
    const Endpoint* won = m_policy.decide(Principal{}, to_string(method), path).endpoint();
    if (won != &a && won != &b) return;  // a third, more specific route decides it
    const Endpoint& lost = won == &a ? b : a;
    if (!widens(*won, lost)) return;  // stricter where it wins: not a grant
    if (!(won == &a ? crosses(b_parsed, a_parsed) : crosses(a_parsed, b_parsed))) return;
    const auto winner = m_route_at.find(line_at(won->location));
    const auto loser = m_route_at.find(line_at(lost.location));
    if (winner == m_route_at.end() || loser == m_route_at.end()) return;
    const RouteEntry& winning = m_model.routes[winner->second];
    const RouteEntry& losing = m_model.routes[loser->second];
    Grantees who = grantees(winning.spec);
    if (is_user_scope(losing.spec.scope) && !won->key_scopes().empty()) {
      who.callers += ", API keys among them,";
    }
    const std::string example = fmt::format("{} {}", to_string(method), path);
    Diagnostic d = warning(
        "overlapping-routes", losing.line,
        fmt::format("route '{}' of {} overlaps route '{}' of {}: '{}' matches both, and the "
                    "more specific '{}' decides it",
                    route_text(lost.method, lost.path_template), grantees(losing.spec).block,
                    route_text(won->method, won->path_template), who.block, example,
                    won->path_template),
        fmt::format("{} may call it, whatever {} asks; declare the paths both match in the "
                    "block that should decide them, make the templates disjoint, {}",
                    who.callers, grantees(losing.spec).block,
                    acknowledge_help("overlapping-routes")));
    d.notes.push_back({winning.line, fmt::format("'{}' goes to this route", example)});
    m_out.add(std::move(d));
  }

  // A `**` or `*`-method route grants what no route declares: any path below its prefix,
  // or the methods no route lists on its template. Endpoints other blocks declare are
  // wildcard-grant's; this is the rest. In the public and authenticated blocks too, where
  // it opens the undeclared endpoints to anyone, or to any caller with credentials.
  void open_wildcards() {
    for (const RouteEntry& route : m_model.routes) {
      const auto parsed = parse_template(route.spec.path_template);
      if (!parsed) continue;
      const bool rest =
          !parsed->segments.empty() && parsed->segments.back().kind == SegmentKind::rest;
      const bool any_method = route.spec.method == Method::any;
      if (!rest && !any_method) continue;
      std::string what;
      if (rest) {
        const std::string_view text = route.spec.path_template;
        const std::string_view prefix = text.substr(0, text.size() - 3);
        what =
            fmt::format("{} on any path below '{}'",
                        any_method ? std::string_view("any method") : to_string(route.spec.method),
                        prefix.empty() ? "/" : prefix);
      } else {
        const std::vector<std::string_view> methods = undeclared_methods(route.spec.path_template);
        if (methods.empty()) continue;
        what =
            fmt::format("{} on '{}'", listed(methods, "other methods"), route.spec.path_template);
      }
      const Grantees who = grantees(route.spec);
      m_out.add(warning(
          "open-wildcard", route.line,
          fmt::format("route '{}' of {} grants what no route declares: {}",
                      route_text(route.spec.method, route.spec.path_template), who.block, what),
          fmt::format("{} may call whatever the server serves there, now and later; list the "
                      "routes {} should grant, {}",
                      who.callers, who.kind, acknowledge_help("open-wildcard"))));
    }
  }

  struct Grantees {
    std::string block;    // "scope 'a:b'", "the public block"
    std::string kind;     // "the scope", "the block"
    std::string callers;  // who the block's grants reach
  };

  static Grantees grantees(const RouteSpec& route) {
    switch (route.access) {
      case Access::public_:
        return {"the public block", "the block", "anyone, without credentials,"};
      case Access::authenticated:
        return {"the authenticated block", "the block",
                "every API key, whatever its scopes, and every signed-in user"};
      case Access::scoped:
        break;
    }
    return {fmt::format("scope '{}'", route.scope), "the scope",
            fmt::format("holders of '{}'", route.scope)};
  }

  // The methods no route lists on exactly this template, and then any other method.
  std::vector<std::string_view> undeclared_methods(std::string_view path_template) const {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < method_count; ++i) {
      const auto method = static_cast<Method>(i);
      if (method == Method::any) continue;
      const auto defined =
          std::any_of(m_model.routes.begin(), m_model.routes.end(), [&](const RouteEntry& route) {
            return route.spec.method == method && route.spec.path_template == path_template;
          });
      if (!defined) out.push_back(method_names[i]);
    }
    out.push_back("any other method");
    return out;
  }

  // "A, B, C and 4 more" (at most max_listed named).
  static std::string listed(const std::vector<std::string_view>& items, std::string_view rest) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < max_listed; ++i) {
      if (!out.empty()) out += i + 1 == items.size() ? " and " : ", ";
      out += items[i];
    }
    if (items.size() > max_listed) {
      out += fmt::format(" and {} {}", items.size() - max_listed, rest);
    }
    return out;
  }

  void forbids_matching_nothing() {
    const Templates& templates = parsed_templates();
    std::vector<std::pair<Method, const Template*>> endpoints;
    for (std::size_t e = 0; e < m_policy.endpoints().size(); ++e) {
      endpoints.emplace_back(m_policy.endpoints()[e].method, &templates.parsed[templates.of[e]]);
    }
    for (const ForbidEntry& forbid : m_model.forbids) {
      const auto parsed = parse_template(forbid.spec.path_template);
      if (!parsed) continue;
      const bool matches = std::any_of(endpoints.begin(), endpoints.end(), [&](const auto& e) {
        return methods_meet(forbid.spec.method, e.first) && overlap(*parsed, *e.second);
      });
      if (matches) {
        refusing_nobody(forbid, *parsed);
        continue;
      }
      m_out.add(
          warning("forbid-matches-nothing", forbid.line,
                  fmt::format("forbid rule '{}' matches no endpoint of the policy",
                              route_text(forbid.spec.method, forbid.spec.path_template)),
                  fmt::format("no route has a path this template matches with this method, so the "
                              "rule never refuses anything; fix the method or template, {}",
                              acknowledge_help("forbid-matches-nothing"))));
    }
  }

  // A forbid rule whose condition needs a `principal.kind` (the condition, or a term of
  // its top `and`) that no caller reaching the endpoints it matches has: an API key never
  // reaches an endpoint only user scopes grant, an anonymous caller only public ones.
  void refusing_nobody(const ForbidEntry& forbid, const Template& parsed) {
    std::set<std::string_view> reaching;
    const Templates& templates = parsed_templates();
    for (std::size_t e = 0; e < m_policy.endpoints().size(); ++e) {
      const Endpoint& endpoint = m_policy.endpoints()[e];
      if (!methods_meet(forbid.spec.method, endpoint.method) ||
          !overlap(parsed, templates.parsed[templates.of[e]])) {
        continue;
      }
      reaching.insert("user");
      if (endpoint.access != Access::scoped || !endpoint.key_scopes().empty()) {
        reaching.insert("api_key");
      }
      if (endpoint.access == Access::public_) reaching.insert("anonymous");
    }
    std::vector<const ConditionSpec*> terms;
    if (forbid.spec.condition) terms.push_back(&*forbid.spec.condition);
    for (std::size_t i = 0; i < terms.size(); ++i) {
      const ConditionSpec& term = *terms[i];
      if (term.kind == ConditionSpec::Kind::and_) {
        for (const ConditionSpec& child : term.children) terms.push_back(&child);
        continue;
      }
      const auto kinds = kinds_admitted(term);
      if (!kinds) continue;
      const bool meets = std::any_of(reaching.begin(), reaching.end(), [&](std::string_view k) {
        return kinds->count(std::string(k)) != 0;
      });
      if (meets) continue;
      std::string who;
      for (const std::string_view kind : reaching) {
        who += fmt::format("{}{}", who.empty() ? "" : " and ", kind_text(kind));
      }
      Diagnostic d = warning(
          "forbid-matches-nothing", forbid.line,
          fmt::format("forbid rule '{}' refuses nobody: no caller of the endpoints it matches "
                      "meets its condition",
                      route_text(forbid.spec.method, forbid.spec.path_template)),
          fmt::format("fix the kind of caller in the condition or the template, remove the "
                      "rule, {}",
                      acknowledge_help("forbid-matches-nothing")));
      const Span span =
          term.tag < forbid.condition_nodes.size() ? forbid.condition_nodes[term.tag] : Span{};
      d.notes.push_back(
          {span, fmt::format("only {} reach the endpoints it matches{}", who,
                             reaching.count("api_key") == 0
                                 ? ": no plain scope grants them, so API keys never do"
                                 : "")});
      m_out.add(std::move(d));
      return;
    }
  }

  static std::string_view kind_text(std::string_view kind) {
    if (kind == "api_key") return "API keys";
    if (kind == "user") return "signed-in users";
    return "anonymous callers";
  }

  // The kinds of caller `principal.kind == "k"`, `!= "k"` or `in [...]` admits.
  static std::optional<std::set<std::string>> kinds_admitted(const ConditionSpec& node) {
    using Kind = ConditionSpec::Kind;
    if ((node.kind != Kind::compare && node.kind != Kind::in) || node.children.size() != 2 ||
        node.children[0].kind != Kind::attribute || node.children[0].text != "principal.kind") {
      return std::nullopt;
    }
    const ConditionSpec& literal = node.children[1];
    std::set<std::string> values;
    if (node.kind == Kind::in && literal.kind == Kind::list_literal) {
      for (const ConditionSpec& item : literal.children) {
        if (item.kind != Kind::string_literal) return std::nullopt;
        values.insert(item.text);
      }
      return values;
    }
    if (node.kind != Kind::compare || literal.kind != Kind::string_literal) return std::nullopt;
    if (node.op == CompareOp::eq) return std::set<std::string>{literal.text};
    if (node.op != CompareOp::ne) return std::nullopt;
    for (const std::string_view kind : {"api_key", "user", "anonymous"}) {
      if (kind != literal.text) values.emplace(kind);
    }
    return values;
  }

  void empty_scopes() {
    std::set<std::string_view> with_routes;
    for (const RouteEntry& route : m_model.routes) with_routes.insert(route.spec.scope);
    for (const ScopeEntry& scope : m_model.scopes) {
      if (scope.spec.kind != ScopeKind::plain || !scope.spec.implies.empty() ||
          with_routes.count(scope.spec.name) != 0) {
        continue;
      }
      m_out.add(warning("empty-scope", scope.name,
                        fmt::format("scope '{}' grants nothing", scope.spec.name),
                        fmt::format("it lists no route and implies no scope: add route lines, "
                                    "declare it `future scope` if it is planned, {}",
                                    acknowledge_help("empty-scope"))));
    }
  }

  void empty_roles() {
    for (const RoleEntry& role : m_model.roles) {
      if (role.spec.all_scopes || !role.spec.scopes.empty()) continue;
      m_out.add(warning("empty-role", role.name,
                        fmt::format("role '{}' holds no scope", role.spec.name),
                        fmt::format("a signed-in user with this role may call only public and "
                                    "authenticated routes; add a `scopes` line, {}",
                                    acknowledge_help("empty-role"))));
    }
  }

  // `implies a b` where `a` already implies `b` (or `b` is named twice).
  void redundant_implies() {
    for (const ScopeEntry& scope : m_model.scopes) {
      const std::vector<std::string>& names = scope.spec.implies;
      for (std::size_t i = 0; i < names.size(); ++i) {
        const auto target = m_policy.find_scope(names[i]);
        if (!target) continue;
        for (std::size_t j = 0; j < names.size(); ++j) {
          if (j == i || (names[j] == names[i] && j > i)) continue;
          const auto other = m_policy.find_scope(names[j]);
          if (!other) continue;
          const auto closure = m_policy.scopes()[*other].closure;
          if (!std::binary_search(closure.begin(), closure.end(), *target)) continue;
          const Span& span = i < scope.implies.size() ? scope.implies[i] : scope.name;
          const Span& by = j < scope.implies.size() ? scope.implies[j] : scope.name;
          Diagnostic d =
              warning("redundant-implies", span,
                      names[j] == names[i]
                          ? fmt::format("scope '{}' implies '{}' twice", scope.spec.name, names[i])
                          : fmt::format("scope '{}' implies '{}', which '{}' already implies",
                                        scope.spec.name, names[i], names[j]),
                      fmt::format("it adds nothing: remove '{}' from the `implies` line, {}",
                                  names[i], acknowledge_help("redundant-implies")));
          d.notes.push_back({by, fmt::format("'{}' is implied here", names[j])});
          m_out.add(std::move(d));
          break;
        }
      }
    }
  }

  const Model& m_model;
  const Policy& m_policy;
  std::map<LineAt, std::size_t> m_route_at;
  std::optional<Templates> m_templates;                         // parsed_templates(), once
  std::map<EndpointKey, std::vector<std::size_t>> m_listed_by;  // scoped route lines
  Diagnostics m_out;
};

}  // namespace

std::span<const std::string_view> warning_codes() noexcept {
  static constexpr std::string_view codes[] = {
      "shared-route",  "wildcard-grant",   "forbid-matches-nothing", "constant-condition",
      "empty-scope",   "empty-role",       "redundant-implies",      "unused-allow-warning",
      "open-wildcard", "scope-name-style", "overlapping-routes"};
  return codes;
}

Diagnostics find_warnings(const Model& model, const Policy& policy) {
  return WarningFinder(model, policy).run();
}

}  // namespace scopegate
