// Parsing with PEGTL: the actions build the syntax tree, the control class turns every
// `must<>` failure into its message (syntax_errors.hpp). PEGTL's exceptions stay in
// this file.
#include "scopegate/dsl/parse.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include <tao/pegtl.hpp>

#include "parse_state.hpp"
#include "scopegate/grammar/policy.hpp"
#include "source_scan.hpp"
#include "syntax_errors.hpp"

namespace scopegate {

namespace {

namespace g = grammar;
namespace pegtl = tao::pegtl;
using parsing::Block;
using parsing::ParseState;
using parsing::SyntaxFailure;

ast::Word word_of(const ParseState& state, std::string_view matched, std::string_view what) {
  const ast::Range range = state.range_of(matched);
  if (matched.size() > max_token_bytes) throw parsing::too_long(range, what, max_token_bytes);
  return {std::string(matched), range};
}

// `"a\"b"` -> `a"b`; the grammar has already checked the escapes.
ast::Text text_of(const ParseState& state, std::string_view matched) {
  const ast::Range range = state.range_of(matched);
  if (matched.size() > max_string_bytes) {
    throw parsing::too_long(range, "a string", max_string_bytes);
  }
  std::string value;
  value.reserve(matched.size());
  for (std::size_t i = 1; i + 1 < matched.size(); ++i) {
    char c = matched[i];
    if (c == '\\') {
      c = matched[++i];
      if (c == 'n') c = '\n';
      if (c == 't') c = '\t';
    }
    value.push_back(c);
  }
  return {std::move(value), range};
}

// A scope name, bare or in quotes (`"a b"` -> `a b`); the span is the name as written.
ast::Word scope_name_of(const ParseState& state, std::string_view matched) {
  if (!matched.starts_with('"')) return word_of(state, matched, "a scope name");
  if (matched.size() > max_token_bytes + 2) {
    throw parsing::too_long(state.range_of(matched), "a scope name", max_token_bytes);
  }
  ast::Text text = text_of(state, matched);
  return {std::move(text.value), text.range};
}

template <typename Rule>
struct Action : pegtl::nothing<Rule> {};

template <>
struct Action<g::scope_head> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    const std::string_view matched = in.string_view();
    state.tree.block = Block::scope;
    state.tree.scope = {};
    state.tree.scope.head = state.range_of(matched);
    if (matched.starts_with("future")) state.tree.scope.kind = ScopeKind::future;
    if (matched.starts_with("user")) state.tree.scope.kind = ScopeKind::user;
  }
};

template <>
struct Action<g::scope_kind> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.messages.kind_keyword = in.string();
  }
};

template <>
struct Action<g::scope_name> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.scope.name = scope_name_of(state, in.string_view());
  }
};

template <>
struct Action<g::kw_public> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.block = Block::public_;
    state.tree.access = {};
    state.tree.access.access = Access::public_;
    state.tree.access.keyword = state.range_of(in.string_view());
  }
};

template <>
struct Action<g::kw_authenticated> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.block = Block::authenticated;
    state.tree.access = {};
    state.tree.access.access = Access::authenticated;
    state.tree.access.keyword = state.range_of(in.string_view());
  }
};

template <>
struct Action<g::kw_role> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.block = Block::role;
    state.tree.role = {};
    state.tree.role.range = state.range_of(in.string_view());
  }
};

template <>
struct Action<g::role_name> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.role.name = word_of(state, in.string_view(), "a role name");
  }
};

template <>
struct Action<g::open_brace> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    const ast::Range brace = state.range_of(in.string_view());
    state.messages.open_brace = brace;
    state.tree.scope.open_brace = brace;
    state.tree.access.open_brace = brace;
    state.tree.role.open_brace = brace;
    state.tree.forbid.open_brace = brace;
    if (state.tree.block == Block::forbid) {
      state.tree.forbid.method = std::move(state.tree.route.method);
      state.tree.forbid.path_template = std::move(state.tree.route.path_template);
      state.tree.forbid.condition = std::exchange(state.tree.condition, std::nullopt);
    } else if (state.tree.block == Block::scope) {
      state.tree.scope.condition = std::exchange(state.tree.condition, std::nullopt);
    }
  }
};

template <>
struct Action<g::close_brace> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    const ast::Range brace = state.range_of(in.string_view());
    const std::size_t end = brace.offset + brace.length;
    const auto through_brace = [end](std::size_t begin) { return ast::Range{begin, end - begin}; };
    switch (state.tree.block) {
      case Block::scope:
        state.tree.scope.range = through_brace(state.tree.scope.head.offset);
        state.tree.file->declarations.emplace_back(std::move(state.tree.scope));
        break;
      case Block::public_:
      case Block::authenticated:
        state.tree.access.range = through_brace(state.tree.access.keyword.offset);
        state.tree.file->declarations.emplace_back(std::move(state.tree.access));
        break;
      case Block::role:
        state.tree.role.range = through_brace(state.tree.role.range.offset);
        state.tree.file->declarations.emplace_back(std::move(state.tree.role));
        break;
      case Block::forbid:
        state.tree.forbid.range = through_brace(state.tree.forbid.keyword.offset);
        state.tree.file->declarations.emplace_back(std::move(state.tree.forbid));
        break;
      case Block::none:
        break;
    }
    state.tree.block = Block::none;
  }
};

struct ItemKeywordAction {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.messages.item_keyword = in.string();
    state.tree.item_keyword_range = state.range_of(in.string_view());
  }
};

template <>
struct Action<g::kw_summary> : ItemKeywordAction {};
template <>
struct Action<g::kw_note> : ItemKeywordAction {};
template <>
struct Action<g::kw_use_case> : ItemKeywordAction {};
template <>
struct Action<g::kw_implies> : ItemKeywordAction {};
template <>
struct Action<g::kw_scopes> : ItemKeywordAction {};
template <>
struct Action<g::kw_message> : ItemKeywordAction {};
template <>
struct Action<g::kw_allow_warning> : ItemKeywordAction {};

template <>
struct Action<g::warning_code> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.acknowledgement = {};
    state.tree.acknowledgement.keyword = state.tree.item_keyword_range;
    state.tree.acknowledgement.code = word_of(state, in.string_view(), "a warning code");
  }
};

template <>
struct Action<g::allow_warning_item> {
  template <typename Input>
  static void apply(const Input&, ParseState& state) {
    ast::Acknowledgement acknowledgement = std::move(state.tree.acknowledgement);
    acknowledgement.reason = std::move(state.tree.metadata.text);
    if (state.tree.block == Block::role) {
      state.tree.role.acknowledgements.push_back(std::move(acknowledgement));
    } else if (state.tree.block == Block::forbid) {
      state.tree.forbid.acknowledgements.push_back(std::move(acknowledgement));
    } else if (state.tree.block == Block::public_ || state.tree.block == Block::authenticated) {
      state.tree.access.acknowledgements.push_back(std::move(acknowledgement));
    } else {
      state.tree.scope.acknowledgements.push_back(std::move(acknowledgement));
    }
  }
};

template <>
struct Action<g::message_item> {
  template <typename Input>
  static void apply(const Input&, ParseState& state) {
    state.tree.forbid.messages.push_back(std::move(state.tree.metadata));
  }
};

template <>
struct Action<g::kw_forbid> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.block = Block::forbid;
    state.tree.forbid = {};
    state.tree.forbid.keyword = state.range_of(in.string_view());
  }
};

template <>
struct Action<g::quoted_string> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.metadata = {state.tree.item_keyword_range, text_of(state, in.string_view())};
  }
};

template <>
struct Action<g::summary_item> {
  template <typename Input>
  static void apply(const Input&, ParseState& state) {
    if (state.tree.block == Block::role) {
      state.tree.role.summaries.push_back(std::move(state.tree.metadata));
    } else {
      state.tree.scope.summaries.push_back(std::move(state.tree.metadata));
    }
  }
};

template <>
struct Action<g::note_item> {
  template <typename Input>
  static void apply(const Input&, ParseState& state) {
    state.tree.scope.notes.push_back(std::move(state.tree.metadata));
  }
};

template <>
struct Action<g::use_case_item> {
  template <typename Input>
  static void apply(const Input&, ParseState& state) {
    state.tree.scope.use_cases.push_back(std::move(state.tree.metadata));
  }
};

template <>
struct Action<g::scope_ref> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    ast::Word word = scope_name_of(state, in.string_view());
    if (state.tree.block == Block::role) {
      state.tree.role.scopes.push_back(std::move(word));
    } else {
      state.tree.scope.implies.push_back(std::move(word));
    }
  }
};

template <>
struct Action<g::all_scopes> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    if (!state.tree.role.all_scopes)
      state.tree.role.all_scopes_range = state.range_of(in.string_view());
    state.tree.role.all_scopes = true;
  }
};

template <>
struct Action<g::method> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    // `a == 1 AND b == 2`: the condition ended at `AND`, which reads as a method.
    const ast::Range range = state.range_of(in.string_view());
    if (auto failure = parsing::operator_read_as_method(state, range)) throw std::move(*failure);
    state.tree.route = {};
    state.tree.route.method = word_of(state, in.string_view(), "a method");
  }
};

template <>
struct Action<g::path_template> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.route.path_template = word_of(state, in.string_view(), "a path template");
  }
};

template <>
struct Action<g::description> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.route.description = text_of(state, in.string_view());
  }
};

void enter_nesting(ParseState& state, ast::Range range) {
  if (++state.tree.depth > max_condition_depth) throw parsing::nested_too_deep(range);
}

// A new node for what was just matched; returns its index.
std::uint32_t add_node(ParseState& state, ast::Expression node) {
  state.tree.nodes.push_back(std::move(node));
  return static_cast<std::uint32_t>(state.tree.nodes.size() - 1);
}

template <typename Input>
void push_leaf(const Input& in, ParseState& state, ast::Expression::Kind kind,
               std::string text = {}) {
  ast::Expression node;
  node.kind = kind;
  node.text = std::move(text);
  node.range = state.range_of(in.string_view());
  state.tree.operands.push_back(add_node(state, std::move(node)));
}

// The operands since the innermost mark, folded into one `kind` node if more than one.
template <typename Input>
void fold_chain(const Input& in, ParseState& state, ast::Expression::Kind kind) {
  const std::size_t mark = state.tree.marks.back();
  if (state.tree.operands.size() - mark < 2 && kind != ast::Expression::Kind::list) return;
  ast::Expression node;
  node.kind = kind;
  node.range = state.range_of(in.string_view());
  node.operands.assign(state.tree.operands.begin() + static_cast<std::ptrdiff_t>(mark),
                       state.tree.operands.end());
  state.tree.operands.resize(mark);
  state.tree.operands.push_back(add_node(state, std::move(node)));
}

template <>
struct Action<g::kw_when> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.nodes.clear();
    state.tree.operands.clear();
    state.tree.marks.clear();
    state.messages.open_parens.clear();
    state.tree.depth = 0;
    state.tree.when_keyword = state.range_of(in.string_view());
    state.messages.last_operator = "when";
  }
};

template <>
struct Action<g::string_value> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    push_leaf(in, state, ast::Expression::Kind::string, text_of(state, in.string_view()).value);
  }
};

template <>
struct Action<g::integer> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    const std::string_view written = in.string_view();
    std::int64_t value = 0;
    const auto [end, error] =
        std::from_chars(written.data(), written.data() + written.size(), value);
    if (error != std::errc{} || end != written.data() + written.size()) {
      throw parsing::integer_out_of_range(state.range_of(written), written);
    }
    push_leaf(in, state, ast::Expression::Kind::integer);
    state.tree.nodes.back().integer = value;
  }
};

template <>
struct Action<g::boolean> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    push_leaf(in, state, ast::Expression::Kind::boolean);
    state.tree.nodes.back().boolean = in.string_view() == "true";
  }
};

template <>
struct Action<g::address> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    const std::string_view written = in.string_view();
    const bool cidr = written.find('/') != std::string_view::npos;
    push_leaf(in, state, cidr ? ast::Expression::Kind::cidr : ast::Expression::Kind::ip,
              word_of(state, written, "an address").text);
  }
};

template <>
struct Action<g::attribute> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    push_leaf(in, state, ast::Expression::Kind::attribute,
              word_of(state, in.string_view(), "an attribute").text);
  }
};

template <>
struct Action<g::open_bracket> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.messages.open_bracket = state.range_of(in.string_view()).offset;
  }
};

template <>
struct Action<g::list> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    fold_chain(in, state, ast::Expression::Kind::list);
  }
};

template <>
struct Action<g::compare_op> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    const std::string_view op = in.string_view();
    state.messages.last_operator = std::string(op);
    state.tree.pending_in = op == "in";
    state.tree.pending_op = op == "!="   ? CompareOp::ne
                            : op == "<"  ? CompareOp::lt
                            : op == "<=" ? CompareOp::le
                            : op == ">"  ? CompareOp::gt
                            : op == ">=" ? CompareOp::ge
                                         : CompareOp::eq;
  }
};

template <>
struct Action<g::compare> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    ast::Expression node;
    node.kind = state.tree.pending_in ? ast::Expression::Kind::in : ast::Expression::Kind::compare;
    node.op = state.tree.pending_op;
    node.range = state.range_of(in.string_view());
    const std::uint32_t right = state.tree.operands.back();
    state.tree.operands.pop_back();
    node.operands = {state.tree.operands.back(), right};
    state.tree.operands.back() = add_node(state, std::move(node));
  }
};

template <>
struct Action<g::open_paren> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    const ast::Range range = state.range_of(in.string_view());
    enter_nesting(state, range);
    state.messages.open_parens.push_back(range.offset);
    state.messages.last_operator = "(";
  }
};

template <>
struct Action<g::group> {
  template <typename Input>
  static void apply(const Input&, ParseState& state) {
    --state.tree.depth;
    state.messages.open_parens.pop_back();
  }
};

template <>
struct Action<g::kw_not> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    enter_nesting(state, state.range_of(in.string_view()));
    state.messages.last_operator = "not";
  }
};

template <>
struct Action<g::not_expr> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    --state.tree.depth;
    ast::Expression node;
    node.kind = ast::Expression::Kind::not_;
    node.range = state.range_of(in.string_view());
    node.operands = {state.tree.operands.back()};
    state.tree.operands.back() = add_node(state, std::move(node));
  }
};

template <>
struct Action<g::kw_and> {
  template <typename Input>
  static void apply(const Input&, ParseState& state) {
    state.messages.last_operator = "and";
  }
};

template <>
struct Action<g::kw_or> {
  template <typename Input>
  static void apply(const Input&, ParseState& state) {
    state.messages.last_operator = "or";
  }
};

template <>
struct Action<g::conjunction> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    fold_chain(in, state, ast::Expression::Kind::and_);
  }
};

template <>
struct Action<g::expression> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    fold_chain(in, state, ast::Expression::Kind::or_);
    state.tree.expression_range = state.range_of(in.string_view());
  }
};

template <>
struct Action<g::condition> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    ast::Condition condition;
    condition.keyword = state.tree.when_keyword;
    condition.range = state.tree.expression_range;
    condition.root = state.tree.operands.back();
    condition.nodes = std::move(state.tree.nodes);
    state.tree.nodes.clear();
    state.tree.operands.clear();
    state.tree.condition = std::move(condition);
    const ast::Range matched = state.range_of(in.string_view());
    state.messages.condition_end = matched.offset + matched.length;
  }
};

template <>
struct Action<g::route_line> {
  template <typename Input>
  static void apply(const Input& in, ParseState& state) {
    state.tree.route.range = state.range_of(in.string_view());
    state.tree.route.condition = std::exchange(state.tree.condition, std::nullopt);
    if (state.tree.block == Block::scope) {
      state.tree.scope.routes.push_back(std::move(state.tree.route));
    } else {
      state.tree.access.routes.push_back(std::move(state.tree.route));
    }
  }
};

// Rules whose action folds the operands matched since the rule started.
template <typename Rule>
inline constexpr bool is_chain =
    std::is_same_v<Rule, g::expression> || std::is_same_v<Rule, g::conjunction> ||
    std::is_same_v<Rule, g::list>;

template <typename Rule>
struct Control : pegtl::normal<Rule> {
  template <typename Input>
  static void start(const Input& in, ParseState& state) {
    if constexpr (std::is_same_v<Rule, g::quoted_string> || std::is_same_v<Rule, g::description> ||
                  std::is_same_v<Rule, g::string_value>) {
      state.messages.string_start = state.offset_of(in);
    }
    if constexpr (is_chain<Rule>) state.tree.marks.push_back(state.tree.operands.size());
  }

  template <typename Input>
  static void success(const Input&, ParseState& state) {
    if constexpr (is_chain<Rule>) state.tree.marks.pop_back();
  }

  template <typename Input>
  static void failure(const Input&, ParseState& state) {
    if constexpr (is_chain<Rule>) state.tree.marks.pop_back();
  }

  template <typename Input>
  [[noreturn]] static void raise(const Input& in, ParseState& state) {
    throw parsing::failure_for<Rule>(state, state.offset_of(in));
  }
};

Diagnostic to_diagnostic(const std::shared_ptr<const SourceFile>& source, SyntaxFailure failure) {
  Diagnostic diagnostic;
  diagnostic.code = std::move(failure.code);
  diagnostic.message = std::move(failure.message);
  diagnostic.help = std::move(failure.help);
  diagnostic.span = make_span(source, failure.range.offset, failure.range.length);
  for (auto& [range, message] : failure.notes) {
    diagnostic.notes.push_back({make_span(source, range.offset, range.length), std::move(message)});
  }
  return diagnostic;
}

}  // namespace

ParseResult parse(std::shared_ptr<const SourceFile> source) {
  ParseResult result;
  result.file.source = source;
  const std::string_view text = source->text;

  if (text.size() > max_file_bytes) {
    result.diagnostics.add(to_diagnostic(source, parsing::file_too_large()));
    return result;
  }
  if (auto bad = parsing::invalid_utf8(text)) {
    result.diagnostics.add(to_diagnostic(source, parsing::invalid_utf8_byte(text, *bad)));
    return result;
  }

  ParseState state;
  state.text = text;
  state.tree.file = &result.file;
  pegtl::memory_input input(text.data(), text.size(), source->name);
  try {
    pegtl::parse<g::policy, Action, Control>(input, state);
  } catch (SyntaxFailure& failure) {
    result.diagnostics.add(to_diagnostic(source, std::move(failure)));
  } catch (const pegtl::parse_error& error) {
    const auto& positions = error.positions();
    const std::size_t offset = positions.empty() ? 0 : positions.front().byte;
    result.diagnostics.add(
        to_diagnostic(source, {"syntax-error", {offset, 0}, std::string(error.message()), {}, {}}));
  }
  return result;
}

}  // namespace scopegate
