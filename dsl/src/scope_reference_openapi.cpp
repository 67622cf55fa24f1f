// The policy's endpoints as an OpenAPI 3.1 document (`scopegate docs --format openapi`):
// one operation per endpoint and method, its path parameters, who may call it (security
// requirements over the `X-API-Key` and Bearer schemes, and the granting scopes in
// `x-scopes` and the description), and the responses the engine can give.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <span>

#include "json_text.hpp"
#include "lowercase.hpp"
#include "scope_reference_model.hpp"
#include "scopegate/template.hpp"

namespace scopegate::docs {

namespace {

using json::Array;
using json::Object;
using json::Value;

constexpr std::string_view api_key_scheme = "apiKey";
constexpr std::string_view bearer_scheme = "bearerAuth";

// The methods `*` stands for, as OpenAPI names them.
constexpr Method every_method[] = {Method::get,     Method::put,  Method::post, Method::delete_,
                                   Method::options, Method::head, Method::patch};

// One OpenAPI path for an endpoint template: `{name}` kept, `*` and a trailing `**`
// (one or more segments) written as named parameters. `**` also matches the path
// without it, which is a second form (rest == false).
struct Parameter {
  std::string name;
  std::string description;
};

struct PathForm {
  std::string path;
  std::vector<Parameter> parameters;
};

PathForm path_form(const Template& parsed, bool with_rest) {
  PathForm form;
  std::set<std::string> names;
  for (const Segment& segment : parsed.segments) {
    if (segment.kind == SegmentKind::param) names.insert(segment.text);
  }
  const auto fresh = [&names](std::string base) {
    std::string name = base;
    for (int n = 2; names.count(name) > 0; ++n) name = fmt::format("{}{}", base, n);
    names.insert(name);
    return name;
  };
  const auto parameter = [&form](const std::string& name, std::string description) {
    form.parameters.push_back({name, std::move(description)});
  };
  int any_count = 0;
  for (const Segment& segment : parsed.segments) {
    switch (segment.kind) {
      case SegmentKind::literal:
        form.path += "/" + segment.text;
        break;
      case SegmentKind::param:
        form.path += fmt::format("/{{{}}}", segment.text);
        parameter(segment.text, "one path segment");
        break;
      case SegmentKind::any: {
        const std::string name = fresh(fmt::format("segment{}", ++any_count));
        form.path += fmt::format("/{{{}}}", name);
        parameter(name, "any one path segment (`*` in the policy)");
        break;
      }
      case SegmentKind::rest:
        if (with_rest) {
          const std::string name = fresh("rest");
          form.path += fmt::format("/{{{}}}", name);
          parameter(name, "the rest of the path: one or more segments, `/` included (`**`)");
        }
        break;
    }
  }
  if (form.path.empty()) form.path = "/";
  return form;
}

std::string joined_code(std::span<const std::string_view> names) {
  std::string text;
  for (const std::string_view name : names) {
    text += fmt::format("{}`{}`", text.empty() ? "" : ", ", name);
  }
  return text;
}

// The scopes that grant an endpoint: those whose route lines grant it (as the engine
// lists them), then, in policy order, those that grant it only through `implies`
// (their closure holds a granting scope). An API key counts plain scopes only.
struct Holders {
  std::vector<std::string_view> key;
  std::size_t key_direct = 0;  // key[0, key_direct) grant it themselves
  std::vector<std::string_view> user;
  std::size_t user_direct = 0;
};

Holders holders_of(const Policy& policy, const Endpoint& endpoint) {
  Holders holders;
  holders.key.assign(endpoint.key_scopes().begin(), endpoint.key_scopes().end());
  holders.key_direct = holders.key.size();
  holders.user.assign(endpoint.user_scopes().begin(), endpoint.user_scopes().end());
  holders.user_direct = holders.user.size();
  const auto listed = [](const std::vector<std::string_view>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (const Scope& scope : policy.scopes()) {
    if (scope.kind == ScopeKind::future) continue;
    bool for_key = false;
    bool for_user = false;
    for (const ScopeId implied : scope.closure) {
      for (const Grant& grant : endpoint.grants) {
        if (grant.scope != implied) continue;
        for_key = for_key || grant.scope_kind == ScopeKind::plain;
        for_user = for_user || grant.scope_kind != ScopeKind::future;
      }
    }
    if (for_key && scope.kind == ScopeKind::plain && !listed(holders.key, scope.name)) {
      holders.key.push_back(scope.name);
    }
    if (for_user && !listed(holders.user, scope.name)) holders.user.push_back(scope.name);
  }
  return holders;
}

// "`a`, `b`", or "`a`, or through `implies`: `b`" for names[direct...] granting through it.
std::string holders_text(std::span<const std::string_view> names, std::size_t direct) {
  std::string text = joined_code(names.first(direct));
  if (direct < names.size()) {
    text += fmt::format("{}through `implies`: {}", text.empty() ? "" : ", or ",
                        joined_code(names.subspan(direct)));
  }
  return text;
}

// Who may call the endpoint, in words: the operation's description after its own.
std::string access_text(const Policy& policy, const Endpoint& endpoint, const Holders& holders) {
  switch (endpoint.access) {
    case Access::public_:
      return "Public: anyone may call it, without credentials.";
    case Access::authenticated:
      return "Any API key, whatever its scopes, and any signed-in user.";
    case Access::scoped:
      break;
  }
  std::string text;
  if (!holders.key.empty()) {
    text += fmt::format("API keys with scope {}. ", holders_text(holders.key, holders.key_direct));
  } else {
    text += "Not for API keys. ";
  }
  text += fmt::format("Signed-in users whose role holds {}.",
                      holders_text(holders.user, holders.user_direct));
  for (const Grant& grant : endpoint.grants) {
    if (grant.has_condition()) {
      text += fmt::format(" `{}` grants it only when `{}`.", policy.scopes()[grant.scope].name,
                          grant.condition->text);
    }
  }
  return text;
}

// A security requirement: the scheme, with the scopes listed under it.
Value requirement(std::string_view scheme, std::span<const std::string_view> scopes) {
  Array names;
  for (const std::string_view scope : scopes) names.emplace_back(scope);
  Object object;
  object[scheme] = std::move(names);
  return object;
}

Value security_of(const Endpoint& endpoint, const Holders& holders) {
  Array security;
  switch (endpoint.access) {
    case Access::public_:
      return security;  // none: no credentials needed
    case Access::authenticated:
      security.push_back(requirement(api_key_scheme, {}));
      security.push_back(requirement(bearer_scheme, {}));
      return security;
    case Access::scoped:
      break;
  }
  if (!holders.key.empty()) security.push_back(requirement(api_key_scheme, holders.key));
  security.push_back(requirement(bearer_scheme, holders.user));
  return security;
}

// The forbid rules that cover the endpoint, in words.
std::string refusals_text(const Policy& policy, const std::vector<Restriction>& refusals) {
  std::string text;
  for (const Restriction& restriction : refusals) {
    const ForbidRule& rule = policy.forbids()[restriction.rule];
    std::string kinds;
    for (const std::string& kind : restriction.kinds) kinds += (kinds.empty() ? "" : ", ") + kind;
    text +=
        fmt::format(" Refused to {} by `forbid {} {}`{}: \"{}\".", kinds, to_string(rule.method),
                    rule.path_template,
                    rule.condition_text.empty() ? std::string()
                                                : fmt::format(" when `{}`", rule.condition_text),
                    rule.message);
  }
  return text;
}

Value described(std::string text) {
  Object object;
  object["description"] = std::move(text);
  return object;
}

Value responses_of(const Endpoint& endpoint, bool refused) {
  Object responses;
  responses["200"] = described("Allowed: the endpoint's own response.");
  if (endpoint.access != Access::public_) {
    responses["401"] = described("No valid API key or Bearer token.");
  }
  if (endpoint.access == Access::scoped) {
    responses["403"] = described(fmt::format(
        "The caller lacks a granting scope, a condition fails, or a forbid rule refuses it, "
        "e.g. \"{}\".",
        endpoint.key_scopes().empty() ? endpoint.user_message() : endpoint.key_message()));
  } else if (refused) {
    responses["403"] = described("A forbid rule of the policy refuses the request.");
  }
  return responses;
}

// One operation, before it is written: an endpoint for one method on one OpenAPI path.
struct Operation {
  const Endpoint* endpoint = nullptr;
  std::vector<Restriction> refusals;  // those that refuse this method
  std::vector<Parameter> parameters;  // named as the path names them
  std::vector<std::string> also;      // other endpoints that meet on this path and method
};

Value operation_json(const Policy& policy, const Operation& operation, std::string id) {
  const Endpoint& endpoint = *operation.endpoint;
  const std::string route = route_of(endpoint);
  Object object;
  object["operationId"] = std::move(id);
  object["summary"] = endpoint.description.empty() ? route : std::string(endpoint.description);
  const Holders holders = holders_of(policy, endpoint);
  std::string description = access_text(policy, endpoint, holders);
  if (endpoint.method == Method::any) {
    description += fmt::format(" (`{}` in the policy: any method.)", route);
  }
  object["description"] = description + refusals_text(policy, operation.refusals);
  if (!operation.parameters.empty()) {
    Array parameters;
    for (const Parameter& parameter : operation.parameters) {
      Object item;
      item["name"] = parameter.name;
      item["in"] = "path";
      item["required"] = true;
      item["description"] = parameter.description;
      item["schema"].object()["type"] = "string";
      parameters.emplace_back(std::move(item));
    }
    object["parameters"] = std::move(parameters);
  }
  object["security"] = security_of(endpoint, holders);
  object["responses"] = responses_of(endpoint, !operation.refusals.empty());
  Array scopes;
  for (const std::string_view scope : holders.user) scopes.emplace_back(scope);
  object["x-scopes"] = std::move(scopes);
  object["x-scopegate-endpoint"] = route;
  if (!operation.also.empty()) {
    object["x-scopegate-also"] = Array(operation.also.begin(), operation.also.end());
  }
  return object;
}

// "get /api/v1/sessions/{id}" -> "get_api_v1_sessions_id"
std::string operation_id(std::string_view method, std::string_view path) {
  std::string id(method);
  bool separator = true;
  for (const char c : path) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (keep) {
      if (separator) id += '_';
      id += c;
      separator = false;
    } else {
      separator = true;
    }
  }
  return id;
}

std::string content_hash(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", hash);
}

}  // namespace

std::string openapi(const Policy& policy) {
  // Each endpoint's forms, the most specific first so that where two endpoints share an
  // OpenAPI path and method the one the engine prefers for it is written: exact methods
  // before `*`, templates without `**` before those with it.
  struct Form {
    const Endpoint* endpoint;
    PathForm path;
    int rank;
    std::size_t position;  // in policy order: the endpoint's, then its form's
  };
  const std::vector<std::vector<Restriction>> refused = restrictions(policy);
  std::vector<Form> forms;
  for (const Endpoint& endpoint : policy.endpoints()) {
    const Template parsed = endpoint.parsed();
    const bool rest = !parsed.segments.empty() && parsed.segments.back().kind == SegmentKind::rest;
    const int method_rank = endpoint.method == Method::any ? 1 : 0;
    const std::size_t position =
        2 * static_cast<std::size_t>(&endpoint - policy.endpoints().data());
    if (rest) {
      forms.push_back({&endpoint, path_form(parsed, false), 4 + method_rank, position});
      forms.push_back({&endpoint, path_form(parsed, true), 2 + method_rank, position + 1});
    } else {
      forms.push_back({&endpoint, path_form(parsed, false), method_rank, position});
    }
  }
  std::stable_sort(forms.begin(), forms.end(),
                   [](const Form& a, const Form& b) { return a.rank < b.rank; });

  // Paths in the order their first endpoint appears in the policy.
  std::map<std::string, std::size_t> first_position;
  std::map<std::string, std::map<Method, Operation>> paths;
  // Two templates that differ only in parameter names are one OpenAPI path: keyed by shape.
  std::map<std::string, std::string> path_of_shape;
  for (const Form& form : forms) {
    std::string shape = form.path.path;
    for (const Parameter& parameter : form.path.parameters) {
      const auto at = shape.find("{" + parameter.name + "}");
      shape.replace(at, parameter.name.size() + 2, "{}");
    }
    const auto known = path_of_shape.try_emplace(shape, form.path.path).first;
    const auto [position, first] = first_position.try_emplace(known->second, form.position);
    if (!first) position->second = std::min(position->second, form.position);
    std::map<Method, Operation>& item = paths[known->second];
    const std::vector<Method> methods =
        form.endpoint->method == Method::any
            ? std::vector<Method>(std::begin(every_method), std::end(every_method))
            : std::vector<Method>{form.endpoint->method};
    for (const Method method : methods) {
      if (const auto existing = item.find(method); existing != item.end()) {
        // The engine decides these requests by another endpoint; say where else it reaches.
        Operation& kept = existing->second;
        const std::string route = route_of(*form.endpoint);
        if (kept.endpoint != form.endpoint &&
            std::find(kept.also.begin(), kept.also.end(), route) == kept.also.end()) {
          kept.also.push_back(route);
        }
        continue;
      }
      Operation operation{form.endpoint, {}, form.path.parameters, {}};
      if (known->second != form.path.path) {
        // Same shape, other parameter names: take the path's names, in order.
        const std::string& path = known->second;
        std::size_t i = 0;
        for (std::size_t at = path.find('{');
             at != std::string::npos && i < operation.parameters.size();
             at = path.find('{', at + 1)) {
          operation.parameters[i++].name = path.substr(at + 1, path.find('}', at) - at - 1);
        }
      }
      const auto index = static_cast<std::size_t>(form.endpoint - policy.endpoints().data());
      for (const Restriction& restriction : refused[index]) {
        if (restriction.method == Method::any || restriction.method == method) {
          operation.refusals.push_back(restriction);
        }
      }
      item.emplace(method, std::move(operation));
    }
  }

  std::vector<std::string> order;
  for (const auto& [path, position] : first_position) order.push_back(path);
  std::sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return first_position[a] < first_position[b];
  });
  Object ordered_paths;
  std::set<std::string> ids;
  for (const std::string& path : order) {
    Object& item = ordered_paths[path].object();
    // Operations in the usual method order.
    for (const Method method : every_method) {
      const auto operation = paths[path].find(method);
      if (operation == paths[path].end()) continue;
      const std::string key = lowercase(to_string(method));
      std::string id = operation_id(key, path);
      for (int n = 2; ids.count(id) > 0; ++n) id = fmt::format("{}_{}", operation_id(key, path), n);
      ids.insert(id);
      item[key] = operation_json(policy, operation->second, id);
    }
  }

  Object document;
  document["openapi"] = "3.1.0";
  Object& info = document["info"].object();
  info["title"] = title;
  info["version"] = "policy-" + content_hash(json::dump(ordered_paths));
  info["description"] = fmt::format(
      "{} Generated from the policy by `scopegate docs --format openapi`: every endpoint it "
      "declares, and who may call it.",
      intro);
  document["paths"] = std::move(ordered_paths);
  Object& schemes = document["components"].object()["securitySchemes"].object();
  Object& api_key = schemes[api_key_scheme].object();
  api_key["type"] = "apiKey";
  api_key["in"] = "header";
  api_key["name"] = "X-API-Key";
  api_key["description"] =
      "An API key. The scopes listed in a requirement are those that grant the operation (any "
      "one).";
  Object& bearer = schemes[bearer_scheme].object();
  bearer["type"] = "http";
  bearer["scheme"] = "bearer";
  bearer["description"] =
      "A signed-in user's access token (Authorization: Bearer). The scopes listed in a "
      "requirement are those a role must hold (any one).";
  return json::dump(document);
}

}  // namespace scopegate::docs
