// Conditions and string literals as the canonical layout prints them: the text a
// condition's syntax tree stands for, with only the parentheses its meaning needs, and a
// string with its `"`, `\`, newline and tab escaped. Private to dsl/: format.cpp lays
// conditions out over lines with it; format_condition() and canonical_condition_text()
// (scopegate/dsl/format.hpp) print one whole.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/dsl/ast.hpp"

namespace scopegate {

// `value` as a policy string literal, in quotes.
std::string quote(std::string_view value);

// Borrows the condition's nodes: print while the condition lives.
class ConditionPrinter {
 public:
  explicit ConditionPrinter(const ast::Condition& condition) : m_nodes(condition.nodes) {}

  // `node` as it reads where a node of at least `min_level` is expected (binding
  // strength, loosest first: or 1, and 2, not 3, anything else 4).
  std::string print(std::uint32_t index, int min_level) const;

 private:
  std::string print_bare(const ast::Expression& node) const;

  const std::vector<ast::Expression>& m_nodes;
};

}  // namespace scopegate
