// What the scope reference says, in the order it says it, taken from the policy
// (scope_reference.cpp), and the two renderings of it: Markdown
// (scope_reference_markdown.cpp) and HTML (scope_reference_html.cpp). Plain values
// that own their strings.
#pragma once

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

struct Reference {
  std::vector<ScopeDoc> plain;
  std::vector<ScopeDoc> user;  // only the endpoints no plain scope grants
  std::vector<ScopeDoc> future;
  std::vector<RouteDoc> open;           // `public`
  std::vector<RouteDoc> authenticated;  // `authenticated`
  std::vector<ForbidDoc> forbids;
  std::string refusal_example;  // the message a key without the scope gets
};

inline constexpr std::string_view title = "API Key Scopes";
inline constexpr std::string_view intro =
    "Scopes control what actions an API key can perform. Use the principle of least "
    "privilege: grant only the scopes required for the specific use case.";

Reference collect(const Policy& policy);

// "GET /api/v1/sessions/{id}"
std::string route_of(const Endpoint& endpoint);

std::string markdown(const Reference& reference);

// The HTML page adds an access matrix, read from the policy itself.
std::string html(const Policy& policy, const Reference& reference);

}  // namespace scopegate::docs
