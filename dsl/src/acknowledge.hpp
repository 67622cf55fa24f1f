// Acknowledgements: `allow_warning CODE "why"` in a scope, role or forbid block says the
// warning CODE about that block is intended. apply_acknowledgements() drops each warning
// an acknowledgement of its block covers, and warns about every acknowledgement that
// covers none (a stale line, or a code that is not a warning's). Pure function.
#pragma once

#include <vector>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/ast.hpp"
#include "scopegate/dsl/diagnostic.hpp"

namespace scopegate {

// `lints` are the lints that ran: an acknowledgement of a style lint that did not run
// is neither used nor unused.
void apply_acknowledgements(const std::vector<ast::File>& files, Diagnostics& warnings,
                            Lints lints);

}  // namespace scopegate
