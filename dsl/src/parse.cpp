// Parsing with PEGTL: actions build the syntax tree, the control class turns every
// `must<>` failure into a message for people. PEGTL's exceptions stay in this file.
#include "scopegate/dsl/parse.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <tao/pegtl.hpp>

#include "scopegate/grammar/policy.hpp"
#include "scopegate/method.hpp"
#include "suggest.hpp"

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

enum class Block { none, scope, public_, authenticated, role };

const std::vector<std::string> declaration_keywords = {"scope",         "future", "user",  "public",
                                                       "authenticated", "role",   "forbid"};
const std::vector<std::string> scope_items = {"summary", "note", "use_case", "implies"};
const std::vector<std::string> role_items = {"summary", "scopes"};
const std::vector<std::string> all_item_keywords = {"summary", "note", "use_case", "implies",
                                                    "scopes"};

const char* const declarations_help =
    "a policy file holds `scope`, `future scope`, `user scope`, `public`, `authenticated` "
    "and `role` blocks";
const char* const route_help =
    "a route line is `METHOD /path \"description\"`, e.g. "
    "`GET /api/v1/sessions/{id} \"Get a session\"`";
const char* const methods_list = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or * (any)";

bool contains(const std::vector<std::string>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

bool is_name_char(char c) {
  return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '{' && c != '}' && c != '"' &&
         c != '#';
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// ---------------------------------------------------------------- state ------------

struct State {
  std::string_view text;
  ast::File* file = nullptr;

  Block block = Block::none;
  ast::ScopeDecl scope;
  ast::AccessBlock access;
  ast::RoleDecl role;
  ast::Range open_brace;

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
    return word == "forbid";
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
      case Block::none:
        break;
    }
    return declarations_help;
  }

  const std::vector<std::string>& block_item_keywords() const {
    static const std::vector<std::string> none;
    if (block == Block::scope) return scope_items;
    if (block == Block::role) return role_items;
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

template <>
struct Action<g::condition> {
  template <typename Input>
  [[noreturn]] static void apply(const Input& in, State& state) {
    throw SyntaxFailure{"unsupported",
                        range_of(state, in.string_view()),
                        "conditions (`when ...`) are not supported yet",
                        "remove the `when` clause; until conditions land, grant the route "
                        "through a scope that only the intended callers hold",
                        {}};
  }
};

template <>
struct Action<g::route_line> {
  template <typename Input>
  static void apply(const Input& in, State& state) {
    state.route.range = range_of(state, in.string_view());
    if (state.block == Block::scope) {
      state.scope.routes.push_back(std::move(state.route));
    } else {
      state.access.routes.push_back(std::move(state.route));
    }
  }
};

template <>
struct Action<g::reserved_decl> {
  template <typename Input>
  [[noreturn]] static void apply(const Input& in, State& state) {
    throw SyntaxFailure{"unsupported",
                        range_of(state, in.string_view()),
                        "`forbid` rules are not supported yet",
                        "remove the `forbid` rule; until forbid rules land, leave the route "
                        "out of every scope that should not reach it",
                        {}};
  }
};

// ---------------------------------------------------------------- messages ---------

template <typename Rule>
inline constexpr bool dependent_false = false;

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
    return {"unsupported",
            token,
            "conditions (`when ...`) are not supported yet",
            "conditions will follow a route line inside a scope; remove this one",
            {}};
  }
  if (contains(all_item_keywords, word)) {
    return {"syntax-error",
            token,
            fmt::format("'{}' outside a block", word),
            fmt::format("move the `{}` line into the `scope` or `role` block it belongs to", word),
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

// The block is not closed where its items end: say why as precisely as we can.
SyntaxFailure unclosed_block(const State& state, std::size_t offset) {
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
  if (!word.empty() && word.front() == '/' && state.block != Block::role) {
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
    const std::string help = state.block == Block::role
                                 ? "a string belongs after `summary`"
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
          route_help,
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
    std::string after = "'public'";
    std::string help = "a block's items go between '{' and '}'";
    if (state.block == Block::scope) {
      after = fmt::format("scope name '{}'", state.scope.name.text);
      if (!state.word_at(offset).empty()) help = "a scope name cannot contain spaces";
    } else if (state.block == Block::role) {
      after = fmt::format("role name '{}'", state.role.name.text);
      if (!state.word_at(offset).empty()) help = "a role name cannot contain spaces";
    } else if (state.block == Block::authenticated) {
      after = "'authenticated'";
    }
    return expected_after(state, offset, "'{'", after, help);
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

template <typename Rule>
struct Control : pegtl::normal<Rule> {
  template <typename Input>
  static void start(const Input& in, State& state) {
    if constexpr (std::is_same_v<Rule, g::quoted_string> || std::is_same_v<Rule, g::description>) {
      state.string_start = state.offset_of(in);
    }
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
