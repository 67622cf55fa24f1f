// The state of one parse: the syntax tree under construction, which the actions of
// parse.cpp build, and the few facts the syntax-error messages need besides it
// (syntax_errors.hpp), which only they read. One per parse() call; not shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/dsl/ast.hpp"

namespace scopegate::parsing {

// A syntax error on its way out of the parser: thrown by an action or by the control
// class, caught by parse() and turned into its one Diagnostic.
struct SyntaxFailure {
  std::string code;
  ast::Range range;
  std::string message;
  std::string help;
  std::vector<std::pair<ast::Range, std::string>> notes;
};

// The block being read.
enum class Block : std::uint8_t { none, scope, public_, authenticated, role, forbid };

// The declaration being read, and the condition being built inside it.
struct TreeState {
  ast::File* file = nullptr;  // where finished declarations go

  Block block = Block::none;
  ast::ScopeDecl scope;
  ast::AccessBlock access;
  ast::RoleDecl role;
  ast::ForbidDecl forbid;
  ast::Route route;                      // the route line being read
  ast::Metadata metadata;                // the metadata item being read
  ast::Acknowledgement acknowledgement;  // the `allow_warning` item being read
  ast::Range item_keyword_range;         // its keyword

  // The condition being read: its nodes, the operands completed so far (innermost
  // last), where each open chain or list started in `operands`, and what is pending.
  std::vector<ast::Expression> nodes;
  std::vector<std::uint32_t> operands;
  std::vector<std::size_t> marks;
  std::size_t depth = 0;  // parentheses and `not`s around the current position
  CompareOp pending_op = CompareOp::eq;
  bool pending_in = false;
  ast::Range when_keyword;
  ast::Range expression_range;
  std::optional<ast::Condition> condition;  // the last condition read, until it is taken
};

// What a syntax error is explained with that the tree does not keep: where the open
// block, parentheses, list and string began, and the last keyword or operator read.
struct MessageState {
  ast::Range open_brace;
  std::vector<std::size_t> open_parens;  // offsets of the '(' not yet closed
  std::size_t open_bracket = 0;
  std::size_t string_start = 0;                        // where the string being read opened
  std::size_t condition_end = std::string_view::npos;  // just after the last condition
  std::string last_operator;  // `when`, `and`, `or`, `not`, `(` or a comparison
  std::string kind_keyword;   // `future` or `user` before `scope`
  std::string item_keyword;   // the last item keyword read (`summary`, `scopes`, ...)
};

struct ParseState {
  std::string_view text;  // the whole file
  TreeState tree;
  MessageState messages;

  template <typename Input>
  std::size_t offset_of(const Input& in) const {
    return static_cast<std::size_t>(in.current() - text.data());
  }

  // Where `matched`, a view into `text`, lies.
  ast::Range range_of(std::string_view matched) const {
    return {static_cast<std::size_t>(matched.data() - text.data()), matched.size()};
  }
};

}  // namespace scopegate::parsing
