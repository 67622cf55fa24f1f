// Parsing with PEGTL: actions build the syntax tree, the control class turns every
// `must<>` failure into a message for people. PEGTL's exceptions stay in this file.
#include "scopegate/dsl/parse.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <tao/pegtl.hpp>

#include "scopegate/grammar/policy.hpp"
#include "scopegate/method.hpp"
#include "scopegate/suggest.hpp"

namespace scopegate {

namespace {

namespace g = grammar;
namespace pegtl = tao::pegtl;

// ---------------------------------------------------------------- failures ---------

// A syntax error on its way out of the parser.
struct SyntaxFailure {
  std::string code;
  ast::Range range;
  std::string message;
  std::string help;
  std::vector<std::pair<ast::Range, std::string>> notes;
};

enum class Block { none, scope, public_, authenticated, role, forbid };

const std::vector<std::string> declaration_keywords = {"scope",         "future", "user",  "public",
                                                       "authenticated", "role",   "forbid"};
const std::vector<std::string> scope_items = {"summary", "note", "use_case", "implies"};
const std::vector<std::string> role_items = {"summary", "scopes"};
const std::vector<std::string> forbid_items = {"message"};
const std::vector<std::string> all_item_keywords = {"summary", "note",   "use_case",
                                                    "implies", "scopes", "message"};
const std::vector<std::string> operator_words = {"and", "or", "not", "in"};

const char* const declarations_help =
    "a policy file holds `scope`, `future scope`, `user scope`, `public`, `authenticated` "
    "and `role` blocks and `forbid` rules";
const char* const condition_help =
    "a condition compares an attribute with a value, e.g. `request.query.size <= 100`; "
    "combine comparisons with `and`, `or`, `not` and parentheses";
const char* const value_help =
    "a value is an attribute (e.g. `request.query.size`), a string, an integer, an IP address "
    "or CIDR range (e.g. `10.0.0.0/8`), or a list such as `[\"a\", \"b\"]`";
const char* const when_placement_help =
    "write the condition after a route line (`GET /x when ...`), after a scope's name for "
    "all its routes (`scope a:b when ... {`), or in a forbid rule";
const char* const route_help =
    "a route line is `METHOD /path \"description\"`, e.g. "
    "`GET /api/v1/sessions/{id} \"Get a session\"`";
const char* const methods_list = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or * (any)";
const char* const forbid_help =
    "a forbid rule is `forbid METHOD /path when CONDITION { message \"...\" }`, e.g. "
    "`forbid DELETE /api/v1/** when principal.kind == \"api_key\" { message \"...\" }`";

bool contains(const std::vector<std::string>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

bool is_name_char(char c) {
  return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '{' && c != '}' && c != '"' &&
         c != '#';
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string lower(std::string_view word) {
  std::string out(word);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// ---------------------------------------------------------------- state ------------

struct State {
  std::string_view text;
  ast::File* file = nullptr;

  Block block = Block::none;
  ast::ScopeDecl scope;
  ast::AccessBlock access;
  ast::RoleDecl role;
  ast::ForbidDecl forbid;
  ast::Range open_brace;

  // The condition being read: its nodes, the operands completed so far (innermost
  // last), where each open chain or list started in `operands`, and what is pending.
  std::vector<ast::Expression> nodes;
  std::vector<std::uint32_t> operands;
  std::vector<std::size_t> marks;
  std::vector<std::size_t> open_parens;  // offsets of the '(' not yet closed
  std::size_t open_bracket = 0;
  std::size_t depth = 0;  // parentheses and `not`s around the current position
  CompareOp pending_op = CompareOp::eq;
  bool pending_in = false;
  std::string last_operator;  // `when`, `and`, `or`, `not`, `(` or a comparison: for messages
  ast::Range when_keyword;
  ast::Range expression_range;
  std::optional<ast::Condition> condition;             // the last condition read, until it is taken
  std::size_t condition_end = std::string_view::npos;  // just after the last condition

  ast::Route route;          // the route line being read
  ast::Metadata metadata;    // the metadata item being read
  std::string kind_keyword;  // `future` or `user` before `scope`
  std::string item_keyword;  // the last item keyword read (`summary`, `scopes`, ...)
  ast::Range item_keyword_range;
  std::size_t string_start = 0;  // where the string being read opened

  template <typename Input>
  std::size_t offset_of(const Input& in) const {
    return static_cast<std::size_t>(in.current() - text.data());
  }

  // The run of name characters at `offset` (empty if none).
  std::string_view word_at(std::size_t offset) const {
    std::size_t end = offset;
    while (end < text.size() && is_name_char(text[end])) ++end;
    return text.substr(offset, end - offset);
  }

  // Just after the last token before `offset`: where a missing `}` belongs.
  std::size_t end_of_content(std::size_t offset) const {
    std::size_t end = std::min(offset, text.size());
    for (;;) {
      while (end > 0 && is_space(text[end - 1])) --end;
      // Step over a comment that ends the line we are on.
      const std::size_t line_start = text.rfind('\n', end == 0 ? 0 : end - 1);
      const std::size_t from = line_start == std::string_view::npos ? 0 : line_start + 1;
      const std::size_t hash = text.find('#', from);
      if (hash == std::string_view::npos || hash >= end || !outside_string(from, hash)) {
        return end;
      }
      end = hash;
    }
  }

  // Whether `at` is outside any string literal that starts on the line at `from`.
  bool outside_string(std::size_t from, std::size_t at) const {
    bool inside = false;
    for (std::size_t i = from; i < at; ++i) {
      if (inside && text[i] == '\\') {
        ++i;
      } else if (text[i] == '"') {
        inside = !inside;
      }
    }
    return !inside;
  }

  std::size_t skip_spaces(std::size_t offset) const {
    while (offset < text.size() && is_space(text[offset])) ++offset;
    return offset;
  }

  // Past white space and comments.
  std::size_t skip_blank(std::size_t offset) const {
    for (;;) {
      offset = skip_spaces(offset);
      if (offset >= text.size() || text[offset] != '#') return offset;
      while (offset < text.size() && text[offset] != '\n') ++offset;
    }
  }

  // Whether `offset` is the first token after the last condition read.
  bool right_after_condition(std::size_t offset) const {
    return condition_end != std::string_view::npos && skip_blank(condition_end) == offset;
  }

  std::string_view text_of_range(ast::Range range) const {
    return text.substr(range.offset, range.length);
  }

  // Whether a declaration starts at `offset` (`scope NAME {`, `future scope`, `public {`,
  // ...), rather than a misspelt item such as `scope a:b` in a role.
  bool starts_declaration(std::size_t offset) const {
    const std::string_view word = word_at(offset);
    std::size_t next = skip_spaces(offset + word.size());
    if (word == "scope" || word == "role") {
      next = skip_spaces(next + word_at(next).size());
      return next < text.size() && text[next] == '{';
    }
    if (word == "future" || word == "user") return word_at(next) == "scope";
    if (word == "public" || word == "authenticated") {
      return next < text.size() && text[next] == '{';
    }
    return word == "forbid" && !word_at(next).empty();
  }

  // "'word'", "'{'" or "end of file": what stands at `offset`.
  std::string found_at(std::size_t offset) const {
    if (offset >= text.size()) return "end of file";
    const std::string_view word = word_at(offset);
    if (word.empty()) {
      if (text[offset] == '"') return "a string";
      return fmt::format("'{}'", text[offset]);
    }
    if (word.size() > 40) return fmt::format("'{}...'", word.substr(0, 40));
    return fmt::format("'{}'", word);
  }

  ast::Range token_range(std::size_t offset) const {
    if (offset >= text.size()) return {offset, 0};
    const std::string_view word = word_at(offset);
    return {offset, word.empty() ? 1 : word.size()};
  }

  std::string block_description() const {
    switch (block) {
      case Block::scope:
        return fmt::format("scope '{}'", scope.name.text);
      case Block::public_:
        return "the public block";
      case Block::authenticated:
        return "the authenticated block";
      case Block::role:
        return fmt::format("role '{}'", role.name.text);
      case Block::forbid:
        return "the forbid rule";
      case Block::none:
        break;
    }
    return "the file";
  }

  std::string block_items_help() const {
    switch (block) {
      case Block::scope:
        return "a scope holds `summary`, `note`, `use_case` and `implies` lines and route lines "
               "(`METHOD /path \"description\"`)";
      case Block::public_:
      case Block::authenticated:
        return "this block holds route lines only (`METHOD /path \"description\"`)";
      case Block::role:
        return "a role holds a `summary` line and `scopes` lines";
      case Block::forbid:
        return "a forbid rule holds one `message \"...\"` line";
      case Block::none:
        break;
    }
    return declarations_help;
  }

  const std::vector<std::string>& block_item_keywords() const {
    static const std::vector<std::string> none;
    if (block == Block::scope) return scope_items;
    if (block == Block::role) return role_items;
    if (block == Block::forbid) return forbid_items;
    return none;
  }
};

ast::Range range_of(const State& state, std::string_view matched) {
  return {static_cast<std::size_t>(matched.data() - state.text.data()), matched.size()};
}

[[noreturn]] void fail_limit(ast::Range range, std::string_view what, std::size_t limit) {
  throw SyntaxFailure{"limit-exceeded",
                      range,
                      fmt::format("{} is longer than {} bytes", what, limit),
                      "shorten it",
                      {}};
}

ast::Word word_of(const State& state, std::string_view matched, std::string_view what) {
  const ast::Range range = range_of(state, matched);
  if (matched.size() > max_token_bytes) fail_limit(range, what, max_token_bytes);
  return {std::string(matched), range};
}

// `"a\"b"` -> `a"b`; the grammar has already checked the escapes.
ast::Text text_of(const State& state, std::string_view matched) {
  const ast::Range range = range_of(state, matched);
  if (matched.size() > max_string_bytes) fail_limit(range, "a string", max_string_bytes);
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

// ---------------------------------------------------------------- actions ----------

template <typename Rule>
struct Action : pegtl::nothing<Rule> {};

template <>
struct Action<g::scope_head> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    const std::string_view matched = in.string_view();
    state.block = Block::scope;
    state.scope = {};
    state.scope.head = range_of(state, matched);
    if (matched.starts_with("future")) state.scope.kind = ScopeKind::future;
    if (matched.starts_with("user")) state.scope.kind = ScopeKind::user;
  }
};

template <>
struct Action<g::scope_kind> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.kind_keyword = in.string();
  }
};

template <>
struct Action<g::scope_name> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.scope.name = word_of(state, in.string_view(), "a scope name");
  }
};

template <>
struct Action<g::kw_public> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.block = Block::public_;
    state.access = {};
    state.access.access = Access::public_;
    state.access.keyword = range_of(state, in.string_view());
  }
};

template <>
struct Action<g::kw_authenticated> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.block = Block::authenticated;
    state.access = {};
    state.access.access = Access::authenticated;
    state.access.keyword = range_of(state, in.string_view());
  }
};

template <>
struct Action<g::kw_role> {
  template <typename Input>
  static void apply(const Input&, State& state) {
    state.block = Block::role;
    state.role = {};
  }
};

template <>
struct Action<g::role_name> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.role.name = word_of(state, in.string_view(), "a role name");
  }
};

template <>
struct Action<g::open_brace> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.open_brace = range_of(state, in.string_view());
    state.scope.open_brace = state.open_brace;
    state.access.open_brace = state.open_brace;
    state.role.open_brace = state.open_brace;
    state.forbid.open_brace = state.open_brace;
    if (state.block == Block::forbid) {
      state.forbid.method = std::move(state.route.method);
      state.forbid.path_template = std::move(state.route.path_template);
      state.forbid.condition = std::exchange(state.condition, std::nullopt);
    } else if (state.block == Block::scope) {
      state.scope.condition = std::exchange(state.condition, std::nullopt);
    }
  }
};

template <>
struct Action<g::close_brace> {
  template <typename Input>
  static void apply(const Input&, State& state) {
    switch (state.block) {
      case Block::scope:
        state.file->declarations.emplace_back(std::move(state.scope));
        break;
      case Block::public_:
      case Block::authenticated:
        state.file->declarations.emplace_back(std::move(state.access));
        break;
      case Block::role:
        state.file->declarations.emplace_back(std::move(state.role));
        break;
      case Block::forbid:
        state.file->declarations.emplace_back(std::move(state.forbid));
        break;
      case Block::none:
        break;
    }
    state.block = Block::none;
  }
};

struct ItemKeywordAction {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.item_keyword = in.string();
    state.item_keyword_range = range_of(state, in.string_view());
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
struct Action<g::message_item> {
  template <typename Input>
  static void apply(const Input&, State& state) {
    state.forbid.messages.push_back(std::move(state.metadata));
  }
};

template <>
struct Action<g::kw_forbid> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.block = Block::forbid;
    state.forbid = {};
    state.forbid.keyword = range_of(state, in.string_view());
  }
};

template <>
struct Action<g::quoted_string> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.metadata = {state.item_keyword_range, text_of(state, in.string_view())};
  }
};

template <>
struct Action<g::summary_item> {
  template <typename Input>
  static void apply(const Input&, State& state) {
    if (state.block == Block::role) {
      state.role.summaries.push_back(std::move(state.metadata));
    } else {
      state.scope.summaries.push_back(std::move(state.metadata));
    }
  }
};

template <>
struct Action<g::note_item> {
  template <typename Input>
  static void apply(const Input&, State& state) {
    state.scope.notes.push_back(std::move(state.metadata));
  }
};

template <>
struct Action<g::use_case_item> {
  template <typename Input>
  static void apply(const Input&, State& state) {
    state.scope.use_cases.push_back(std::move(state.metadata));
  }
};

template <>
struct Action<g::scope_ref> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    ast::Word word = word_of(state, in.string_view(), "a scope name");
    if (state.block == Block::role) {
      state.role.scopes.push_back(std::move(word));
    } else {
      state.scope.implies.push_back(std::move(word));
    }
  }
};

template <>
struct Action<g::all_scopes> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    if (!state.role.all_scopes) state.role.all_scopes_range = range_of(state, in.string_view());
    state.role.all_scopes = true;
  }
};

template <>
struct Action<g::method> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    // `a == 1 AND b == 2`: the condition ended at `AND`, which reads as a method.
    const std::string_view written = in.string_view();
    const ast::Range range = range_of(state, written);
    if (state.right_after_condition(range.offset) && contains(operator_words, lower(written)) &&
        lower(written) != written) {
      throw SyntaxFailure{
          "syntax-error",
          range,
          fmt::format("unknown operator '{}'", written),
          fmt::format("operators are lower-case: did you mean '{}'?", lower(written)),
          {}};
    }
    state.route = {};
    state.route.method = word_of(state, in.string_view(), "a method");
  }
};

template <>
struct Action<g::path_template> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.route.path_template = word_of(state, in.string_view(), "a path template");
  }
};

template <>
struct Action<g::description> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.route.description = text_of(state, in.string_view());
  }
};

// ---------------------------------------------------------------- conditions -------

[[noreturn]] void fail_depth(ast::Range range) {
  throw SyntaxFailure{
      "limit-exceeded",
      range,
      fmt::format("condition nests parentheses and `not` more than {} deep", max_condition_depth),
      "simplify it: remove redundant parentheses, or write `not (a or b)` as "
      "`not a and not b`",
      {}};
}

void enter_nesting(State& state, ast::Range range) {
  if (++state.depth > max_condition_depth) fail_depth(range);
}

// A new node for what was just matched; returns its index.
std::uint32_t add_node(State& state, ast::Expression node) {
  state.nodes.push_back(std::move(node));
  return static_cast<std::uint32_t>(state.nodes.size() - 1);
}

template <typename Input>
void push_leaf(const Input& in, State& state, ast::Expression::Kind kind, std::string text = {}) {
  ast::Expression node;
  node.kind = kind;
  node.text = std::move(text);
  node.range = range_of(state, in.string_view());
  state.operands.push_back(add_node(state, std::move(node)));
}

// The operands since the innermost mark, folded into one `kind` node if more than one.
template <typename Input>
void fold_chain(const Input& in, State& state, ast::Expression::Kind kind) {
  const std::size_t mark = state.marks.back();
  if (state.operands.size() - mark < 2 && kind != ast::Expression::Kind::list) return;
  ast::Expression node;
  node.kind = kind;
  node.range = range_of(state, in.string_view());
  node.operands.assign(state.operands.begin() + static_cast<std::ptrdiff_t>(mark),
                       state.operands.end());
  state.operands.resize(mark);
  state.operands.push_back(add_node(state, std::move(node)));
}

template <>
struct Action<g::kw_when> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.nodes.clear();
    state.operands.clear();
    state.marks.clear();
    state.open_parens.clear();
    state.depth = 0;
    state.when_keyword = range_of(state, in.string_view());
    state.last_operator = "when";
  }
};

template <>
struct Action<g::string_value> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    push_leaf(in, state, ast::Expression::Kind::string, text_of(state, in.string_view()).value);
  }
};

template <>
struct Action<g::integer> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    const std::string_view written = in.string_view();
    std::int64_t value = 0;
    const auto [end, error] =
        std::from_chars(written.data(), written.data() + written.size(), value);
    if (error != std::errc{} || end != written.data() + written.size()) {
      throw SyntaxFailure{"bad-literal",
                          range_of(state, written),
                          fmt::format("integer '{}' is out of range", written),
                          fmt::format("integers in conditions lie between {} and {}",
                                      std::numeric_limits<std::int64_t>::min(),
                                      std::numeric_limits<std::int64_t>::max()),
                          {}};
    }
    push_leaf(in, state, ast::Expression::Kind::integer);
    state.nodes.back().integer = value;
  }
};

template <>
struct Action<g::boolean> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    push_leaf(in, state, ast::Expression::Kind::boolean);
    state.nodes.back().boolean = in.string_view() == "true";
  }
};

template <>
struct Action<g::address> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    const std::string_view written = in.string_view();
    const bool cidr = written.find('/') != std::string_view::npos;
    push_leaf(in, state, cidr ? ast::Expression::Kind::cidr : ast::Expression::Kind::ip,
              word_of(state, written, "an address").text);
  }
};

template <>
struct Action<g::attribute> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    push_leaf(in, state, ast::Expression::Kind::attribute,
              word_of(state, in.string_view(), "an attribute").text);
  }
};

template <>
struct Action<g::open_bracket> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.open_bracket = range_of(state, in.string_view()).offset;
  }
};

template <>
struct Action<g::list> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    fold_chain(in, state, ast::Expression::Kind::list);
  }
};

template <>
struct Action<g::compare_op> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    const std::string_view op = in.string_view();
    state.last_operator = std::string(op);
    state.pending_in = op == "in";
    state.pending_op = op == "!="   ? CompareOp::ne
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
  static void apply(const Input& in, State& state) {
    ast::Expression node;
    node.kind = state.pending_in ? ast::Expression::Kind::in : ast::Expression::Kind::compare;
    node.op = state.pending_op;
    node.range = range_of(state, in.string_view());
    const std::uint32_t right = state.operands.back();
    state.operands.pop_back();
    node.operands = {state.operands.back(), right};
    state.operands.back() = add_node(state, std::move(node));
  }
};

template <>
struct Action<g::open_paren> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    const ast::Range range = range_of(state, in.string_view());
    enter_nesting(state, range);
    state.open_parens.push_back(range.offset);
    state.last_operator = "(";
  }
};

template <>
struct Action<g::group> {
  template <typename Input>
  static void apply(const Input&, State& state) {
    --state.depth;
    state.open_parens.pop_back();
  }
};

template <>
struct Action<g::kw_not> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    enter_nesting(state, range_of(state, in.string_view()));
    state.last_operator = "not";
  }
};

template <>
struct Action<g::not_expr> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    --state.depth;
    ast::Expression node;
    node.kind = ast::Expression::Kind::not_;
    node.range = range_of(state, in.string_view());
    node.operands = {state.operands.back()};
    state.operands.back() = add_node(state, std::move(node));
  }
};

template <>
struct Action<g::kw_and> {
  template <typename Input>
  static void apply(const Input&, State& state) {
    state.last_operator = "and";
  }
};

template <>
struct Action<g::kw_or> {
  template <typename Input>
  static void apply(const Input&, State& state) {
    state.last_operator = "or";
  }
};

template <>
struct Action<g::conjunction> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    fold_chain(in, state, ast::Expression::Kind::and_);
  }
};

template <>
struct Action<g::expression> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    fold_chain(in, state, ast::Expression::Kind::or_);
    state.expression_range = range_of(state, in.string_view());
  }
};

template <>
struct Action<g::condition> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    ast::Condition condition;
    condition.keyword = state.when_keyword;
    condition.range = state.expression_range;
    condition.root = state.operands.back();
    condition.nodes = std::move(state.nodes);
    state.nodes.clear();
    state.operands.clear();
    state.condition = std::move(condition);
    const ast::Range matched = range_of(state, in.string_view());
    state.condition_end = matched.offset + matched.length;
  }
};

template <>
struct Action<g::route_line> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.route.range = range_of(state, in.string_view());
    state.route.condition = std::exchange(state.condition, std::nullopt);
    if (state.block == Block::scope) {
      state.scope.routes.push_back(std::move(state.route));
    } else {
      state.access.routes.push_back(std::move(state.route));
    }
  }
};

// ---------------------------------------------------------------- messages ---------

// Read only by the static_assert of a branch never instantiated, which clang's
// -Wunused-const-variable does not count.
template <typename Rule>
[[maybe_unused]] inline constexpr bool dependent_false = false;

SyntaxFailure unexpected_at_top_level(const State& state, std::size_t offset) {
  const ast::Range token = state.token_range(offset);
  const std::string_view word = state.word_at(offset);
  if (offset < state.text.size() && state.text[offset] == '}') {
    return {"syntax-error",
            token,
            "unmatched '}'",
            "remove it, or look for an extra '}' in the block above",
            {}};
  }
  if (word == "when") {
    return {"syntax-error", token, "`when` outside a route line or scope", when_placement_help, {}};
  }
  if (contains(all_item_keywords, word)) {
    return {"syntax-error",
            token,
            fmt::format("'{}' outside a block", word),
            word == "message"
                ? std::string("move the `message` line into the `forbid` rule it belongs to")
                : fmt::format("move the `{}` line into the `scope` or `role` block it belongs to",
                              word),
            {}};
  }
  if (parse_method(word)) {
    return {"syntax-error",
            token,
            "route line outside a block",
            "put routes inside a `scope`, `public` or `authenticated` block",
            {}};
  }
  if (!word.empty()) {
    if (auto suggestion = closest_match(word, declaration_keywords)) {
      return {"unknown-keyword",
              token,
              fmt::format("unknown declaration '{}'", word),
              fmt::format("did you mean '{}'?", *suggestion),
              {}};
    }
    return {"unknown-keyword",
            token,
            fmt::format("unknown declaration '{}'", word),
            declarations_help,
            {}};
  }
  return {"syntax-error",
          token,
          fmt::format("expected a declaration, found {}", state.found_at(offset)),
          declarations_help,
          {}};
}

// A token right after a finished condition that cannot continue it: the usual slips
// (C-style operators, chained comparisons, a description after the condition).
std::optional<SyntaxFailure> after_condition(const State& state, std::size_t offset) {
  if (offset >= state.text.size() || !state.right_after_condition(offset)) return std::nullopt;
  const std::string_view rest = state.text.substr(offset);
  const auto token = [&](std::size_t length) { return ast::Range{offset, length}; };
  if (rest.starts_with("&&") || rest.starts_with("||")) {
    return SyntaxFailure{"syntax-error",
                         token(2),
                         fmt::format("unexpected '{}' in a condition", rest.substr(0, 2)),
                         fmt::format("write `{}`", rest[0] == '&' ? "and" : "or"),
                         {}};
  }
  if (rest.starts_with("!=") || rest.starts_with("==") || rest.starts_with("<") ||
      rest.starts_with(">") || rest.starts_with("=")) {
    const std::size_t length = rest.size() > 1 && rest[1] == '=' ? 2 : 1;
    return SyntaxFailure{"syntax-error",
                         token(length),
                         "comparisons do not chain",
                         "join two comparisons with `and`, e.g. `a >= 1 and a <= 10`",
                         {}};
  }
  if (rest.starts_with("!")) {
    return SyntaxFailure{"syntax-error",
                         token(1),
                         "unexpected '!' in a condition",
                         "write `not` before a comparison",
                         {}};
  }
  if (rest.starts_with(")")) {
    return SyntaxFailure{"syntax-error",
                         token(1),
                         "unmatched ')' in a condition",
                         "remove it, or add the '(' it closes",
                         {}};
  }
  if (rest.starts_with("\"")) {
    return SyntaxFailure{"syntax-error",
                         token(1),
                         "unexpected string after the condition",
                         "a route's description goes before its condition: "
                         "`GET /x \"description\" when ...`",
                         {}};
  }
  const std::string_view word = state.word_at(offset);
  if (word == "when") {
    return SyntaxFailure{"syntax-error",
                         token(4),
                         "a second `when` after a condition",
                         "one condition per route line: join the two with `and`",
                         {}};
  }
  if (contains(operator_words, lower(word)) && lower(word) != word) {
    return SyntaxFailure{"syntax-error",
                         token(word.size()),
                         fmt::format("unknown operator '{}'", word),
                         fmt::format("operators are lower-case: did you mean '{}'?", lower(word)),
                         {}};
  }
  return std::nullopt;
}

// The block is not closed where its items end: say why as precisely as we can.
SyntaxFailure unclosed_block(const State& state, std::size_t offset) {
  if (auto slip = after_condition(state, offset)) return std::move(*slip);
  const std::string block = state.block_description();
  const std::pair<ast::Range, std::string> opened{state.open_brace,
                                                  fmt::format("{} opens here", block)};
  if (offset >= state.text.size()) {
    return {"syntax-error",
            {state.end_of_content(offset), 0},
            fmt::format("expected '}}' to close {}", block),
            "add '}' after the block's last item",
            {opened}};
  }
  const ast::Range token = state.token_range(offset);
  const std::string_view word = state.word_at(offset);
  const char c = state.text[offset];

  if (state.starts_declaration(offset)) {
    return {"syntax-error",
            {state.end_of_content(offset), 0},
            fmt::format("expected '}}' to close {} before the next declaration", block),
            "add '}' after the block's last item",
            {opened}};
  }
  if (word == "when") {
    return {"syntax-error",
            token,
            fmt::format("`when` is not an item of {}", block),
            when_placement_help,
            {}};
  }
  const auto& allowed = state.block_item_keywords();
  if (contains(all_item_keywords, word)) {
    std::string help = state.block_items_help();
    if (word == "scopes" && state.block == Block::scope) {
      help = "a scope includes other scopes with `implies NAME...`; `scopes` belongs in a role";
    } else if (auto suggestion = closest_match(word, allowed)) {
      help = fmt::format("did you mean '{}'?", *suggestion);
    }
    return {"syntax-error", token, fmt::format("'{}' is not allowed in {}", word, block), help, {}};
  }
  if (!word.empty() && word.front() == '/' && state.block != Block::role &&
      state.block != Block::forbid) {
    return {"syntax-error",
            token,
            fmt::format("route '{}' has no method", word),
            fmt::format("start the route line with a method: {}", methods_list),
            {}};
  }
  if (!word.empty()) {
    if (auto suggestion = closest_match(word, allowed)) {
      return {"unknown-keyword",
              token,
              fmt::format("unknown item '{}' in {}", word, block),
              fmt::format("did you mean '{}'?", *suggestion),
              {}};
    }
    return {"unknown-keyword",
            token,
            fmt::format("unknown item '{}' in {}", word, block),
            state.block_items_help(),
            {}};
  }
  if (c == '{' && offset > 0 && !is_space(state.text[offset - 1])) {
    return {"syntax-error",
            token,
            "unclosed '{' in path template",
            "write a path parameter as `{name}`, with no spaces inside the braces",
            {}};
  }
  if (c == '"') {
    const std::string help = state.block == Block::role ? "a string belongs after `summary`"
                             : state.block == Block::forbid
                                 ? "a string belongs after `message`"
                                 : "a route line takes one description: `METHOD /path "
                                   "\"description\"`; metadata needs its keyword, e.g. "
                                   "`note \"...\"`";
    return {"syntax-error", token, fmt::format("unexpected string in {}", block), help, {}};
  }
  return {"syntax-error",
          token,
          fmt::format("expected '}}' to close {}, found {}", block, state.found_at(offset)),
          state.block_items_help(),
          {opened}};
}

// A route line's method was read, but no template follows.
SyntaxFailure missing_template(const State& state, std::size_t offset) {
  const ast::Word& method = state.route.method;
  const bool known_method = parse_method(method.text).has_value();
  const bool string_follows = offset < state.text.size() && state.text[offset] == '"';
  const auto& allowed = state.block_item_keywords();
  const auto suggestion = closest_match(method.text, allowed);
  if (!known_method && (string_follows || suggestion)) {
    const std::string block = state.block_description();
    return {"unknown-keyword",
            method.range,
            fmt::format("unknown item '{}' in {}", method.text, block),
            suggestion ? fmt::format("did you mean '{}'?", *suggestion) : state.block_items_help(),
            {}};
  }
  return {"syntax-error",
          state.token_range(offset),
          fmt::format("expected a path template after '{}', found {}", method.text,
                      state.found_at(offset)),
          state.block == Block::forbid ? std::string(forbid_help) : std::string(route_help),
          {}};
}

// The token at `offset` inside a condition: a word or bare address, a two-character
// operator, or one character.
ast::Range condition_token(const State& state, std::size_t offset) {
  const std::string_view text = state.text;
  if (offset >= text.size()) return {offset, 0};
  std::size_t end = offset;
  const auto bare = [](char c) { return is_word_char(c) || c == '.' || c == ':' || c == '/'; };
  while (end < text.size() && bare(text[end])) ++end;
  if (end > offset) return {offset, std::min<std::size_t>(end - offset, 40)};
  const std::string_view two = text.substr(offset, 2);
  if (two == "==" || two == "!=" || two == "<=" || two == ">=" || two == "&&" || two == "||") {
    return {offset, 2};
  }
  return {offset, 1};
}

std::string found_in_condition(const State& state, std::size_t offset) {
  if (offset >= state.text.size()) return "end of file";
  if (state.text[offset] == '"') return "a string";
  return fmt::format("'{}'", state.text_of_range(condition_token(state, offset)));
}

// An operand (a condition, or a value) is missing after `what`.
SyntaxFailure missing_operand(const State& state, std::size_t offset, std::string_view expected,
                              std::string_view help) {
  const std::string_view rest = state.text.substr(std::min(offset, state.text.size()));
  std::string fix(help);
  if (rest.starts_with("!") && !rest.starts_with("!=")) fix = "write `not` to negate a condition";
  const std::string_view word = state.word_at(offset);
  if (!word.empty() && word.front() >= 'A' && word.front() <= 'Z' &&
      contains(operator_words, lower(word))) {
    fix = fmt::format("operators are lower-case: did you mean '{}'?", lower(word));
  }
  return {"syntax-error",
          condition_token(state, offset),
          fmt::format("expected {} after '{}', found {}", expected, state.last_operator,
                      found_in_condition(state, offset)),
          fix,
          {}};
}

// A value was read, and no comparison operator follows it.
SyntaxFailure missing_operator(const State& state, std::size_t offset) {
  const ast::Expression& value = state.nodes[state.operands.back()];
  const std::string_view written = state.text_of_range(value.range);
  const std::string_view rest = state.text.substr(std::min(offset, state.text.size()));
  std::string help =
      "compare the value with `==`, `!=`, `<`, `<=`, `>`, `>=` or `in`, e.g. "
      "`request.query.size <= 100`";
  if (rest.starts_with("=")) help = "write `==` to test equality";
  if (state.word_at(offset).starts_with("not")) {
    help = fmt::format("`not` goes before the comparison: `not {} in ...`", written);
  }
  if (rest.starts_with(":") && value.kind == ast::Expression::Kind::attribute) {
    help = "write a scope name as a string: `\"sessions:read\" in principal.scopes`";
  }
  const std::string_view word = state.word_at(offset);
  if (lower(word) == "in" && word != "in") help = "operators are lower-case: did you mean 'in'?";
  return {"syntax-error",
          condition_token(state, offset),
          fmt::format("expected a comparison operator after '{}', found {}",
                      written.size() > 40 ? written.substr(0, 40) : written,
                      found_in_condition(state, offset)),
          help,
          {}};
}

SyntaxFailure expected_after(const State& state, std::size_t offset, std::string_view what,
                             std::string_view after, std::string_view help) {
  return {"syntax-error",
          state.token_range(offset),
          fmt::format("expected {} after {}, found {}", what, after, state.found_at(offset)),
          std::string(help),
          {}};
}

template <typename Rule>
SyntaxFailure failure_for(const State& state, std::size_t offset) {
  if constexpr (std::is_same_v<Rule, g::declaration>) {
    return unexpected_at_top_level(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::close_brace>) {
    return unclosed_block(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::path_template>) {
    return missing_template(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::kw_scope>) {
    const std::string& kind = state.kind_keyword;
    return expected_after(state, offset, "'scope'", fmt::format("'{}'", kind),
                          fmt::format("write `{} scope NAME {{ ... }}`", kind));
  } else if constexpr (std::is_same_v<Rule, g::scope_name>) {
    return expected_after(state, offset, "a scope name", "'scope'",
                          "write `scope resource:action { ... }`, e.g. `scope sessions:read`");
  } else if constexpr (std::is_same_v<Rule, g::role_name>) {
    return expected_after(state, offset, "a role name", "'role'",
                          "write `role NAME { scopes ... }`");
  } else if constexpr (std::is_same_v<Rule, g::open_brace>) {
    if (auto slip = after_condition(state, offset)) return std::move(*slip);
    std::string after = "'public'";
    std::string help = "a block's items go between '{' and '}'";
    if (state.right_after_condition(offset)) {
      after = "the condition";
      help = state.block == Block::forbid ? forbid_help : condition_help;
    } else if (state.block == Block::forbid) {
      after = fmt::format("'{}'", state.route.path_template.text);
      help = forbid_help;
    } else if (state.block == Block::scope) {
      after = fmt::format("scope name '{}'", state.scope.name.text);
      if (!state.word_at(offset).empty()) help = "a scope name cannot contain spaces";
    } else if (state.block == Block::role) {
      after = fmt::format("role name '{}'", state.role.name.text);
      if (!state.word_at(offset).empty()) help = "a role name cannot contain spaces";
    } else if (state.block == Block::authenticated) {
      after = "'authenticated'";
    }
    return expected_after(state, offset, "'{'", after, help);
  } else if constexpr (std::is_same_v<Rule, g::method>) {
    return expected_after(state, offset, "a method", "'forbid'", forbid_help);
  } else if constexpr (std::is_same_v<Rule, g::expression> ||
                       std::is_same_v<Rule, g::conjunction> || std::is_same_v<Rule, g::negation>) {
    return missing_operand(state, offset, "a condition", condition_help);
  } else if constexpr (std::is_same_v<Rule, g::compare_op>) {
    return missing_operator(state, offset);
  } else if constexpr (std::is_same_v<Rule, g::value>) {
    return missing_operand(state, offset, "a value", value_help);
  } else if constexpr (std::is_same_v<Rule, g::close_paren>) {
    SyntaxFailure failure = missing_operand(state, offset, "')'",
                                            "close every '(' with ')'; join conditions with "
                                            "`and` or `or`");
    failure.message =
        fmt::format("expected ')' to close '(', found {}", found_in_condition(state, offset));
    failure.notes.push_back({{state.open_parens.back(), 1}, "'(' opens here"});
    return failure;
  } else if constexpr (std::is_same_v<Rule, g::list_item>) {
    return {
        "syntax-error",
        condition_token(state, offset),
        fmt::format("expected a list item after ',', found {}", found_in_condition(state, offset)),
        "list items are strings, integers, or addresses and CIDR ranges; remove a trailing ','",
        {}};
  } else if constexpr (std::is_same_v<Rule, g::close_bracket>) {
    return {
        "syntax-error",
        condition_token(state, offset),
        fmt::format("expected ',' or ']' in a list, found {}", found_in_condition(state, offset)),
        "separate list items with ',' and close the list with ']'; items are strings, "
        "integers, or addresses and CIDR ranges",
        {{{state.open_bracket, 1}, "the list opens here"}}};
  } else if constexpr (std::is_same_v<Rule, g::quoted_string>) {
    return expected_after(state, offset, "a string", fmt::format("'{}'", state.item_keyword),
                          fmt::format("write `{} \"text\"`", state.item_keyword));
  } else if constexpr (std::is_same_v<Rule, g::implied_ref>) {
    return expected_after(state, offset, "a scope name", "'implies'",
                          "write `implies resource:action ...`");
  } else if constexpr (std::is_same_v<Rule, g::scope_list>) {
    return expected_after(state, offset, "scope names or '*'", "'scopes'",
                          "write `scopes resource:action ...`, or `scopes *` for every scope");
  } else if constexpr (std::is_same_v<Rule, g::string_end>) {
    const std::size_t end = std::min(offset, state.text.size());
    return {"syntax-error",
            {state.string_start, end - state.string_start},
            "unterminated string",
            "close the string with '\"' on the same line; write a line break as \\n",
            {}};
  } else if constexpr (std::is_same_v<Rule, g::escape_code>) {
    const std::size_t length = offset < state.text.size() ? 2 : 1;
    return {"syntax-error",
            {offset - 1, length},
            fmt::format("unknown escape '{}' in string", state.text.substr(offset - 1, length)),
            "the escapes are \\\" \\\\ \\n and \\t; write a backslash as \\\\",
            {}};
  } else {
    static_assert(dependent_false<Rule>, "every must<> rule needs a message");
  }
}

// ---------------------------------------------------------------- control ----------

// Rules whose action folds the operands matched since the rule started.
template <typename Rule>
inline constexpr bool is_chain =
    std::is_same_v<Rule, g::expression> || std::is_same_v<Rule, g::conjunction> ||
    std::is_same_v<Rule, g::list>;

template <typename Rule>
struct Control : pegtl::normal<Rule> {
  template <typename Input>
  static void start(const Input& in, State& state) {
    if constexpr (std::is_same_v<Rule, g::quoted_string> || std::is_same_v<Rule, g::description> ||
                  std::is_same_v<Rule, g::string_value>) {
      state.string_start = state.offset_of(in);
    }
    if constexpr (is_chain<Rule>) state.marks.push_back(state.operands.size());
  }

  template <typename Input>
  static void success(const Input&, State& state) {
    if constexpr (is_chain<Rule>) state.marks.pop_back();
  }

  template <typename Input>
  static void failure(const Input&, State& state) {
    if constexpr (is_chain<Rule>) state.marks.pop_back();
  }

  template <typename Input>
  [[noreturn]] static void raise(const Input& in, State& state) {
    throw failure_for<Rule>(state, state.offset_of(in));
  }
};

// The first byte that is not valid UTF-8, if any.
std::optional<std::size_t> invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code_point = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code_point = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr std::array<std::uint32_t, 5> smallest = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < smallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return std::nullopt;
}

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
    result.diagnostics.add(
        to_diagnostic(source, {"limit-exceeded",
                               {0, 0},
                               fmt::format("file is larger than {} MiB", max_file_bytes >> 20),
                               "split the policy into several files in one directory",
                               {}}));
    return result;
  }
  if (auto bad = invalid_utf8(text)) {
    result.diagnostics.add(to_diagnostic(
        source, {"syntax-error",
                 {*bad, 1},
                 fmt::format("invalid UTF-8 byte 0x{:02x}", static_cast<unsigned char>(text[*bad])),
                 "save the file as UTF-8",
                 {}}));
    return result;
  }

  State state;
  state.text = text;
  state.file = &result.file;
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
