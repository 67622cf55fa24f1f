// Acknowledgements: `allow_warning CODE "why"` in a block (scope, role, forbid rule, public
// or authenticated) says the warning CODE about that block is intended. apply_acknowledgements()
// drops each warning an acknowledgement of its block covers, and warns about every acknowledgement
// that covers none (a stale line, or a code that is not a warning's). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/ast.hpp"
#include "scopegate/dsl/diagnostic.hpp"

namespace scopegate {

// `lints` are the lints that ran: an acknowledgement of a style lint that did not run
// is neither used nor unused.
void apply_acknowledgements(const std::vector<ast::File>& files, Diagnostics& warnings,
                            Lints lints);

// The help line of a warning that can be acknowledged: how to say in the block that it is
// intended (`allow_warning CODE "why"`).
std::string acknowledge_help(std::string_view code);

}  // namespace scopegate
