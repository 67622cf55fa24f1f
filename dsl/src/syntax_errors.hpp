// Syntax errors explained: for each point of no return in the grammar (each `must<>`),
// what a person reads when the text stops matching there (a message, a help line with
// a fix and, where useful, a note), and the limit and literal errors the actions raise.
// The messages never name a grammar rule. They read the parse state and never change it.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <type_traits>

#include "parse_state.hpp"
#include "scopegate/grammar/policy.hpp"

namespace scopegate::parsing {

// Each explains a `must<>` that failed at `offset`.
SyntaxFailure unexpected_at_top_level(const ParseState& state, std::size_t offset);
SyntaxFailure unclosed_block(const ParseState& state, std::size_t offset);
SyntaxFailure missing_template(const ParseState& state, std::size_t offset);
SyntaxFailure missing_scope_keyword(const ParseState& state, std::size_t offset);
SyntaxFailure missing_scope_name(const ParseState& state, std::size_t offset);
SyntaxFailure missing_role_name(const ParseState& state, std::size_t offset);
SyntaxFailure missing_open_brace(const ParseState& state, std::size_t offset);
SyntaxFailure missing_forbid_method(const ParseState& state, std::size_t offset);
SyntaxFailure missing_condition(const ParseState& state, std::size_t offset);
SyntaxFailure missing_operator(const ParseState& state, std::size_t offset);
SyntaxFailure missing_value(const ParseState& state, std::size_t offset);
SyntaxFailure unclosed_paren(const ParseState& state, std::size_t offset);
SyntaxFailure missing_list_item(const ParseState& state, std::size_t offset);
SyntaxFailure unclosed_list(const ParseState& state, std::size_t offset);
SyntaxFailure missing_string(const ParseState& state, std::size_t offset);
SyntaxFailure missing_implied_scope(const ParseState& state, std::size_t offset);
SyntaxFailure missing_scope_list(const ParseState& state, std::size_t offset);
SyntaxFailure missing_warning_code(const ParseState& state, std::size_t offset);
SyntaxFailure unterminated_string(const ParseState& state, std::size_t offset);
SyntaxFailure unknown_escape(const ParseState& state, std::size_t offset);

// Read only by the static_assert of a branch never instantiated, which clang's
// -Wunused-const-variable does not count.
template <typename Rule>
[[maybe_unused]] inline constexpr bool dependent_false = false;

// The failure of `must<Rule>` at `offset`. A `must<>` rule without a message here does
// not compile.
template <typename Rule>
SyntaxFailure failure_for(const ParseState& state, std::size_t offset) {
  namespace g = grammar;
  if constexpr (std::is_same_v<Rule, g::declaration>) {
    return unexpected_at_top_level(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::close_brace>) {
    return unclosed_block(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::path_template>) {
    return missing_template(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::kw_scope>) {
    return missing_scope_keyword(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::scope_name>) {
    return missing_scope_name(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::role_name>) {
    return missing_role_name(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::open_brace>) {
    return missing_open_brace(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::method>) {
    return missing_forbid_method(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::expression> ||
                       std::is_same_v<Rule, g::conjunction> || std::is_same_v<Rule, g::negation>) {
    return missing_condition(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::compare_op>) {
    return missing_operator(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::value>) {
    return missing_value(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::close_paren>) {
    return unclosed_paren(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::list_item>) {
    return missing_list_item(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::close_bracket>) {
    return unclosed_list(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::quoted_string>) {
    return missing_string(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::implied_ref>) {
    return missing_implied_scope(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::warning_code>) {
    return missing_warning_code(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::scope_list>) {
    return missing_scope_list(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::string_end>) {
    return unterminated_string(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::escape_code>) {
    return unknown_escape(state, offset);
  } else {
    static_assert(dependent_false<Rule>, "every must<> rule needs a message");
  }
}

// Raised by the actions, and by parse() before the grammar runs.
// A name, template or string longer than `limit` bytes.
SyntaxFailure too_long(ast::Range range, std::string_view what, std::size_t limit);
// A condition nested deeper than max_condition_depth.
SyntaxFailure nested_too_deep(ast::Range range);
SyntaxFailure integer_out_of_range(ast::Range range, std::string_view written);
// A route line's method that is really an operator in the wrong case after a condition
// (`a == 1 AND b == 2`), if it is one.
std::optional<SyntaxFailure> operator_read_as_method(const ParseState& state, ast::Range range);
SyntaxFailure file_too_large();
SyntaxFailure invalid_utf8_byte(std::string_view text, std::size_t offset);

}  // namespace scopegate::parsing
