// Conditions whose value is known when the policy compiles (`constant-condition`): a
// comparison of two literals; `x in []`; an `and` whose comparisons of one attribute
// leave it no value (`request.time < T1 and request.time > T2`, `x == "a" and x == "b"`,
// `request.ip in 10.0.0.0/8 and request.ip in 192.168.0.0/16`); an `or` whose
// comparisons of one attribute hold for every value (`x != "a" or x != "b"`); a
// comparison the condition needs that its place never meets (`request.method` other than
// the route's or forbid rule's method, `principal.kind == "anonymous"` on a scope's grant);
// `principal.kind in` every kind. Only
// comparisons of an attribute with a literal are reasoned about, so a warning is never
// wrong; some constant conditions go unseen. Pure function.
#pragma once

#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/dsl/lower.hpp"

namespace scopegate {

// One warning per constant condition or comparison (a scope's condition, repeated on
// each of its routes, once), at its text, with a note at the comparison that decides.
Diagnostics find_constant_conditions(const Model& model);

}  // namespace scopegate
