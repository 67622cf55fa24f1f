// Warnings: what compiles but is probably not what the author meant, in a policy that
// built without errors — a route granted by two scopes, a wildcard that reaches into
// other scopes' endpoints (or past its own scope's condition) or opens what no route
// declares, two templates that overlap where the route that wins lets in more, a forbid
// rule or condition that can never change a decision, a scope, role or `implies` that
// adds nothing. Each is a Diagnostic of severity
// warning, pointed at the text; acknowledgements are applied by the caller. Pure
// function of its input.
#pragma once

#include <span>
#include <string_view>

#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/dsl/lower.hpp"
#include "scopegate/policy.hpp"

namespace scopegate {

// Every warning `policy` (built from `model`) deserves, unsorted.
Diagnostics find_warnings(const Model& model, const Policy& policy);

// The code of every warning, `unused-allow-warning` and the style lints included.
std::span<const std::string_view> warning_codes() noexcept;

}  // namespace scopegate
