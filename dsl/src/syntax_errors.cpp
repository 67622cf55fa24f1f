// The messages of syntax_errors.hpp. Each names what was expected and what was found,
// in the words of the language (never a grammar rule), and gives a concrete fix.
#include "syntax_errors.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lowercase.hpp"
#include "scopegate/dsl/parse.hpp"
#include "scopegate/method.hpp"
#include "scopegate/suggest.hpp"
#include "source_scan.hpp"

namespace scopegate::parsing {

namespace {

const std::vector<std::string> declaration_keywords = {"scope",         "future", "user",  "public",
                                                       "authenticated", "role",   "forbid"};
const std::vector<std::string> scope_items = {"summary", "note", "use_case", "implies",
                                              "allow_warning"};
const std::vector<std::string> role_items = {"summary", "scopes", "allow_warning"};
const std::vector<std::string> forbid_items = {"message", "allow_warning"};
const std::vector<std::string> access_items = {"allow_warning"};
const std::vector<std::string> all_item_keywords = {"summary", "note",    "use_case",     "implies",
                                                    "scopes",  "message", "allow_warning"};
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

// `AND` for `and`: an operator written in the wrong case.
bool is_miscased_operator(std::string_view word) {
  return contains(operator_words, lowercase(word)) && lowercase(word) != word;
}

SyntaxFailure miscased_operator(ast::Range range, std::string_view word) {
  return {"syntax-error",
          range,
          fmt::format("unknown operator '{}'", word),
          fmt::format("operators are lower-case: did you mean '{}'?", lowercase(word)),
          {}};
}

// Whether `offset` is the first token after the last condition read.
bool right_after_condition(const ParseState& state, std::size_t offset) {
  const std::size_t end = state.messages.condition_end;
  return end != std::string_view::npos && skip_blank(state.text, end) == offset;
}

std::string block_description(const ParseState& state) {
  switch (state.tree.block) {
    case Block::scope:
      return fmt::format("scope '{}'", state.tree.scope.name.text);
    case Block::public_:
      return "the public block";
    case Block::authenticated:
      return "the authenticated block";
    case Block::role:
      return fmt::format("role '{}'", state.tree.role.name.text);
    case Block::forbid:
      return "the forbid rule";
    case Block::none:
      break;
  }
  return "the file";
}

std::string block_items_help(Block block) {
  switch (block) {
    case Block::scope:
      return "a scope holds `summary`, `note`, `use_case` and `implies` lines and route lines "
             "(`METHOD /path \"description\"`)";
    case Block::public_:
    case Block::authenticated:
      return "this block holds route lines (`METHOD /path \"description\"`) and "
             "`allow_warning` lines";
    case Block::role:
      return "a role holds a `summary` line and `scopes` lines";
    case Block::forbid:
      return "a forbid rule holds one `message \"...\"` line";
    case Block::none:
      break;
  }
  return declarations_help;
}

const std::vector<std::string>& block_item_keywords(Block block) {
  static const std::vector<std::string> none;
  if (block == Block::scope) return scope_items;
  if (block == Block::role) return role_items;
  if (block == Block::forbid) return forbid_items;
  if (block == Block::public_ || block == Block::authenticated) return access_items;
  return none;
}

// A token right after a finished condition that cannot continue it: the usual slips
// (C-style operators, chained comparisons, a description after the condition).
std::optional<SyntaxFailure> after_condition(const ParseState& state, std::size_t offset) {
  if (offset >= state.text.size() || !right_after_condition(state, offset)) return std::nullopt;
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
  const std::string_view word = word_at(state.text, offset);
  if (word == "when") {
    return SyntaxFailure{"syntax-error",
                         token(4),
                         "a second `when` after a condition",
                         "one condition per route line: join the two with `and`",
                         {}};
  }
  if (is_miscased_operator(word)) return miscased_operator(token(word.size()), word);
  return std::nullopt;
}

// An operand (a condition, or a value) is missing after the last operator.
SyntaxFailure missing_operand(const ParseState& state, std::size_t offset,
                              std::string_view expected, std::string_view help) {
  const std::string_view text = state.text;
  const std::string_view rest = text.substr(std::min(offset, text.size()));
  std::string fix(help);
  if (rest.starts_with("!") && !rest.starts_with("!=")) fix = "write `not` to negate a condition";
  const std::string_view word = word_at(text, offset);
  if (!word.empty() && word.front() >= 'A' && word.front() <= 'Z' &&
      contains(operator_words, lowercase(word))) {
    fix = fmt::format("operators are lower-case: did you mean '{}'?", lowercase(word));
  }
  return {"syntax-error",
          condition_token(text, offset),
          fmt::format("expected {} after '{}', found {}", expected, state.messages.last_operator,
                      found_in_condition(text, offset)),
          fix,
          {}};
}

SyntaxFailure expected_after(const ParseState& state, std::size_t offset, std::string_view what,
                             std::string_view after, std::string_view help) {
  return {"syntax-error",
          token_range(state.text, offset),
          fmt::format("expected {} after {}, found {}", what, after, found_at(state.text, offset)),
          std::string(help),
          {}};
}

}  // namespace

SyntaxFailure unexpected_at_top_level(const ParseState& state, std::size_t offset) {
  const std::string_view text = state.text;
  const ast::Range token = token_range(text, offset);
  const std::string_view word = word_at(text, offset);
  if (offset < text.size() && text[offset] == '}') {
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
          fmt::format("expected a declaration, found {}", found_at(text, offset)),
          declarations_help,
          {}};
}

// The block is not closed where its items end: say why as precisely as we can.
SyntaxFailure unclosed_block(const ParseState& state, std::size_t offset) {
  if (auto slip = after_condition(state, offset)) return std::move(*slip);
  const std::string_view text = state.text;
  const Block block_kind = state.tree.block;
  const std::string block = block_description(state);
  const std::pair<ast::Range, std::string> opened{state.messages.open_brace,
                                                  fmt::format("{} opens here", block)};
  if (offset >= text.size()) {
    return {"syntax-error",
            {end_of_content(text, offset), 0},
            fmt::format("expected '}}' to close {}", block),
            "add '}' after the block's last item",
            {opened}};
  }
  const ast::Range token = token_range(text, offset);
  const std::string_view word = word_at(text, offset);
  const char c = text[offset];

  if (starts_declaration(text, offset)) {
    return {"syntax-error",
            {end_of_content(text, offset), 0},
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
  const auto& allowed = block_item_keywords(block_kind);
  if (contains(all_item_keywords, word)) {
    std::string help = block_items_help(block_kind);
    if (word == "scopes" && block_kind == Block::scope) {
      help = "a scope includes other scopes with `implies NAME...`; `scopes` belongs in a role";
    } else if (auto suggestion = closest_match(word, allowed)) {
      help = fmt::format("did you mean '{}'?", *suggestion);
    }
    return {"syntax-error", token, fmt::format("'{}' is not allowed in {}", word, block), help, {}};
  }
  if (!word.empty() && word.front() == '/' && block_kind != Block::role &&
      block_kind != Block::forbid) {
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
            block_items_help(block_kind),
            {}};
  }
  if (c == '{' && offset > 0 && !is_space(text[offset - 1])) {
    return {"syntax-error",
            token,
            "unclosed '{' in path template",
            "write a path parameter as `{name}`, with no spaces inside the braces",
            {}};
  }
  if (c == '"') {
    const std::string help = block_kind == Block::role ? "a string belongs after `summary`"
                             : block_kind == Block::forbid
                                 ? "a string belongs after `message`"
                                 : "a route line takes one description: `METHOD /path "
                                   "\"description\"`; metadata needs its keyword, e.g. "
                                   "`note \"...\"`";
    return {"syntax-error", token, fmt::format("unexpected string in {}", block), help, {}};
  }
  return {"syntax-error",
          token,
          fmt::format("expected '}}' to close {}, found {}", block, found_at(text, offset)),
          block_items_help(block_kind),
          {opened}};
}

// A route line's method was read, but no template follows.
SyntaxFailure missing_template(const ParseState& state, std::size_t offset) {
  const ast::Word& method = state.tree.route.method;
  const Block block = state.tree.block;
  const bool known_method = parse_method(method.text).has_value();
  const bool string_follows = offset < state.text.size() && state.text[offset] == '"';
  const auto suggestion = closest_match(method.text, block_item_keywords(block));
  if (!known_method && (string_follows || suggestion)) {
    return {"unknown-keyword",
            method.range,
            fmt::format("unknown item '{}' in {}", method.text, block_description(state)),
            suggestion ? fmt::format("did you mean '{}'?", *suggestion) : block_items_help(block),
            {}};
  }
  return {"syntax-error",
          token_range(state.text, offset),
          fmt::format("expected a path template after '{}', found {}", method.text,
                      found_at(state.text, offset)),
          block == Block::forbid ? std::string(forbid_help) : std::string(route_help),
          {}};
}

// `future` or `user`, and no `scope` after it.
SyntaxFailure missing_scope_keyword(const ParseState& state, std::size_t offset) {
  const std::string& kind = state.messages.kind_keyword;
  return expected_after(state, offset, "'scope'", fmt::format("'{}'", kind),
                        fmt::format("write `{} scope NAME {{ ... }}`", kind));
}

SyntaxFailure missing_scope_name(const ParseState& state, std::size_t offset) {
  return expected_after(state, offset, "a scope name", "'scope'",
                        "write `scope NAME { ... }`, e.g. `scope sessions:read`, or the name in "
                        "quotes: `scope \"https://api.example.com/read\"`");
}

SyntaxFailure missing_role_name(const ParseState& state, std::size_t offset) {
  return expected_after(state, offset, "a role name", "'role'", "write `role NAME { scopes ... }`");
}

SyntaxFailure missing_open_brace(const ParseState& state, std::size_t offset) {
  if (auto slip = after_condition(state, offset)) return std::move(*slip);
  const TreeState& tree = state.tree;
  std::string after = "'public'";
  std::string help = "a block's items go between '{' and '}'";
  if (right_after_condition(state, offset)) {
    after = "the condition";
    help = tree.block == Block::forbid ? forbid_help : condition_help;
  } else if (tree.block == Block::forbid) {
    after = fmt::format("'{}'", tree.route.path_template.text);
    help = forbid_help;
  } else if (tree.block == Block::scope) {
    after = fmt::format("scope name '{}'", tree.scope.name.text);
    if (!word_at(state.text, offset).empty()) help = "a scope name cannot contain spaces";
  } else if (tree.block == Block::role) {
    after = fmt::format("role name '{}'", tree.role.name.text);
    if (!word_at(state.text, offset).empty()) help = "a role name cannot contain spaces";
  } else if (tree.block == Block::authenticated) {
    after = "'authenticated'";
  }
  return expected_after(state, offset, "'{'", after, help);
}

SyntaxFailure missing_forbid_method(const ParseState& state, std::size_t offset) {
  return expected_after(state, offset, "a method", "'forbid'", forbid_help);
}

SyntaxFailure missing_condition(const ParseState& state, std::size_t offset) {
  return missing_operand(state, offset, "a condition", condition_help);
}

// A value was read, and no comparison operator follows it.
SyntaxFailure missing_operator(const ParseState& state, std::size_t offset) {
  const std::string_view text = state.text;
  const ast::Expression& value = state.tree.nodes[state.tree.operands.back()];
  const std::string_view written = text_of_range(text, value.range);
  const std::string_view rest = text.substr(std::min(offset, text.size()));
  std::string help =
      "compare the value with `==`, `!=`, `<`, `<=`, `>`, `>=` or `in`, e.g. "
      "`request.query.size <= 100`";
  if (rest.starts_with("=")) help = "write `==` to test equality";
  if (word_at(text, offset).starts_with("not")) {
    help = fmt::format("`not` goes before the comparison: `not {} in ...`", written);
  }
  if (rest.starts_with(":") && value.kind == ast::Expression::Kind::attribute) {
    help = "write a scope name as a string: `\"sessions:read\" in principal.scopes`";
  }
  const std::string_view word = word_at(text, offset);
  if (lowercase(word) == "in" && word != "in") {
    help = "operators are lower-case: did you mean 'in'?";
  }
  return {"syntax-error",
          condition_token(text, offset),
          fmt::format("expected a comparison operator after '{}', found {}",
                      written.size() > 40 ? written.substr(0, 40) : written,
                      found_in_condition(text, offset)),
          help,
          {}};
}

SyntaxFailure missing_value(const ParseState& state, std::size_t offset) {
  return missing_operand(state, offset, "a value", value_help);
}

SyntaxFailure unclosed_paren(const ParseState& state, std::size_t offset) {
  SyntaxFailure failure = missing_operand(state, offset, "')'",
                                          "close every '(' with ')'; join conditions with "
                                          "`and` or `or`");
  failure.message =
      fmt::format("expected ')' to close '(', found {}", found_in_condition(state.text, offset));
  failure.notes.push_back({{state.messages.open_parens.back(), 1}, "'(' opens here"});
  return failure;
}

SyntaxFailure missing_list_item(const ParseState& state, std::size_t offset) {
  return {"syntax-error",
          condition_token(state.text, offset),
          fmt::format("expected a list item after ',', found {}",
                      found_in_condition(state.text, offset)),
          "list items are strings, integers, or addresses and CIDR ranges; remove a trailing ','",
          {}};
}

SyntaxFailure unclosed_list(const ParseState& state, std::size_t offset) {
  return {"syntax-error",
          condition_token(state.text, offset),
          fmt::format("expected ',' or ']' in a list, found {}",
                      found_in_condition(state.text, offset)),
          "separate list items with ',' and close the list with ']'; items are strings, "
          "integers, or addresses and CIDR ranges",
          {{{state.messages.open_bracket, 1}, "the list opens here"}}};
}

// An item keyword (`summary`, `note`, `message`, ...) without its string.
SyntaxFailure missing_string(const ParseState& state, std::size_t offset) {
  const std::string& keyword = state.messages.item_keyword;
  return expected_after(state, offset, "a string", fmt::format("'{}'", keyword),
                        fmt::format("write `{} \"text\"`", keyword));
}

SyntaxFailure missing_implied_scope(const ParseState& state, std::size_t offset) {
  const std::string_view word = word_at(state.text, offset);
  const bool upper_case = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || c == '_';
  });
  // After `implies` an upper-case word reads as the method of the next route line.
  if (upper_case) {
    return expected_after(
        state, offset, "a scope name", "'implies'",
        fmt::format("an upper-case word here reads as the method of a route line; write the "
                    "scope name in quotes: `implies \"{}\"`",
                    word));
  }
  return expected_after(state, offset, "a scope name", "'implies'",
                        "write `implies NAME ...`, e.g. `implies sessions:read`; quote a name "
                        "that reads as something else, e.g. `implies \"ADMIN\"`");
}

SyntaxFailure missing_scope_list(const ParseState& state, std::size_t offset) {
  return expected_after(state, offset, "scope names or '*'", "'scopes'",
                        "write `scopes NAME ...`, e.g. `scopes sessions:read`, or `scopes *` for "
                        "every scope");
}

SyntaxFailure missing_warning_code(const ParseState& state, std::size_t offset) {
  return expected_after(state, offset, "a warning code", "'allow_warning'",
                        "write `allow_warning CODE \"why\"` with the code the warning names, "
                        "e.g. `allow_warning shared-route \"both scopes grant it\"`");
}

SyntaxFailure unterminated_string(const ParseState& state, std::size_t offset) {
  const std::size_t start = state.messages.string_start;
  const std::size_t end = std::min(offset, state.text.size());
  return {"syntax-error",
          {start, end - start},
          "unterminated string",
          "close the string with '\"' on the same line; write a line break as \\n",
          {}};
}

// `offset` is just after the backslash.
SyntaxFailure unknown_escape(const ParseState& state, std::size_t offset) {
  const std::size_t length = offset < state.text.size() ? 2 : 1;
  return {"syntax-error",
          {offset - 1, length},
          fmt::format("unknown escape '{}' in string", state.text.substr(offset - 1, length)),
          "the escapes are \\\" \\\\ \\n and \\t; write a backslash as \\\\",
          {}};
}

SyntaxFailure too_long(ast::Range range, std::string_view what, std::size_t limit) {
  return {"limit-exceeded",
          range,
          fmt::format("{} is longer than {} bytes", what, limit),
          "shorten it",
          {}};
}

SyntaxFailure nested_too_deep(ast::Range range) {
  return {
      "limit-exceeded",
      range,
      fmt::format("condition nests parentheses and `not` more than {} deep", max_condition_depth),
      "simplify it: remove redundant parentheses, or write `not (a or b)` as "
      "`not a and not b`",
      {}};
}

SyntaxFailure integer_out_of_range(ast::Range range, std::string_view written) {
  return {"bad-literal",
          range,
          fmt::format("integer '{}' is out of range", written),
          fmt::format("integers in conditions lie between {} and {}",
                      std::numeric_limits<std::int64_t>::min(),
                      std::numeric_limits<std::int64_t>::max()),
          {}};
}

std::optional<SyntaxFailure> operator_read_as_method(const ParseState& state, ast::Range range) {
  const std::string_view written = text_of_range(state.text, range);
  if (!right_after_condition(state, range.offset) || !is_miscased_operator(written)) {
    return std::nullopt;
  }
  return miscased_operator(range, written);
}

SyntaxFailure file_too_large() {
  return {"limit-exceeded",
          {0, 0},
          fmt::format("file is larger than {} MiB", max_file_bytes >> 20),
          "split the policy into several files in one directory",
          {}};
}

SyntaxFailure invalid_utf8_byte(std::string_view text, std::size_t offset) {
  return {"syntax-error",
          {offset, 1},
          fmt::format("invalid UTF-8 byte 0x{:02x}", static_cast<unsigned char>(text[offset])),
          "save the file as UTF-8",
          {}};
}

}  // namespace scopegate::parsing
