// What the scope reference says, in the order it says it, taken from the policy
// (scope_reference.cpp), and its renderings: Markdown (scope_reference_markdown.cpp),
// HTML (scope_reference_html.cpp) and OpenAPI (scope_reference_openapi.cpp). Plain values
// that own their strings.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/policy.hpp"

namespace scopegate::docs {

// One endpoint as a scope's documentation lists it.
struct RouteDoc {
  std::string route;  // "GET /api/v1/sessions/{id}"
  std::string description;
  // The conditions under which this scope grants it; empty: always.
  std::vector<std::string> conditions;
};

struct ScopeDoc {
  std::string name;
  std::string summary;
  std::vector<std::string> use_cases;
  std::vector<std::string> notes;
  std::vector<std::string> implies;
  std::vector<RouteDoc> routes;
};

struct ForbidDoc {
  std::string route;  // "* /api/v1/**"
  std::string condition;
  std::string message;
};

// A role and what a user holding it may use: the scopes it lists (every scope for
// `scopes *`) and those they imply.
struct RoleDoc {
  std::string name;
  std::string summary;
  bool all_scopes = false;
  std::vector<std::string> listed;   // as written
  std::vector<std::string> implied;  // reached only through `implies`, in policy order
};

// A forbid rule as it bears on one endpoint: the kinds of caller it refuses there.
struct Restriction {
  std::size_t rule = 0;            // index into Policy::forbids()
  std::vector<std::string> kinds;  // "API keys", "users", "anonymous callers"
  bool always = false;             // refuses them whatever else the request holds
  // The method it refuses: `any`, or the rule's own method when the endpoint is `*`.
  Method method = Method::any;
};

// For each endpoint of `policy` (in its order), the forbid rules whose method and
// template cover it and whose condition can hold for a kind of caller that reaches it
// (scope_reference_restrictions.cpp). The condition is read for `principal.kind`:
// `== "api_key"`, `!=`, `in [...]`, under `and`, `or` and `not`; anything else may hold.
std::vector<std::vector<Restriction>> restrictions(const Policy& policy);

struct Reference {
  std::vector<ScopeDoc> plain;
  std::vector<ScopeDoc> user;  // only the endpoints no plain scope grants
  std::vector<ScopeDoc> future;
  std::vector<RouteDoc> open;           // `public`
  std::vector<RouteDoc> authenticated;  // `authenticated`
  std::vector<ForbidDoc> forbids;
  std::vector<RoleDoc> roles;
  std::string refusal_example;  // the message a key without the scope gets
};

inline constexpr std::string_view title = "API Key Scopes";
inline constexpr std::string_view intro =
    "Scopes control what actions an API key can perform. Use the principle of least "
    "privilege: grant only the scopes required for the specific use case.";

Reference collect(const Policy& policy);

// "GET /api/v1/sessions/{id}"
std::string route_of(const Endpoint& endpoint);

// "every scope", or "`a`, `b`; through `implies`: `c`" with each name written by `code`.
std::string role_scopes_text(const RoleDoc& role,
                             const std::function<std::string(std::string_view)>& code);

std::string markdown(const Reference& reference);

// The HTML page adds an access matrix, read from the policy itself.
std::string html(const Policy& policy, const Reference& reference);

// The endpoints as an OpenAPI 3.1 document (JSON), read from the policy itself.
std::string openapi(const Policy& policy);

}  // namespace scopegate::docs
