// Values that cannot match: an attribute with a closed set of values (principal.kind,
// request.method; see scopegate::closed_values) compared with `==`, `!=` or `in` with a
// string it never has is an error (`unknown-value`) with the closest value as help.
// The engine's builder accepts such a comparison (it is simply false); the language
// refuses it, because a forbid rule that never fires fails open. Pure function.
#pragma once

#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/dsl/lower.hpp"

namespace scopegate {

// One error per wrong value (a scope's condition, repeated on each route, once).
Diagnostics check_closed_values(const Model& model);

}  // namespace scopegate
