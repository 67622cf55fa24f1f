// Reading policy text as raw bytes: before a parse, the first byte that is not valid
// UTF-8; after a failed one, for the syntax-error messages, the word at an offset, past
// blanks and comments, where a block's content ends, whether a declaration starts there,
// and what to call the token found. Works on raw text, so it holds wherever the grammar
// gave up. Pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "scopegate/dsl/ast.hpp"

namespace scopegate::parsing {

// The offset of the first byte that is not valid UTF-8 (overlong forms, surrogates and
// code points past U+10FFFF included), if any.
std::optional<std::size_t> invalid_utf8(std::string_view text);

bool is_space(char c);

// The run of name characters at `offset` (empty if none).
std::string_view word_at(std::string_view text, std::size_t offset);

std::size_t skip_spaces(std::string_view text, std::size_t offset);

// Past white space and comments.
std::size_t skip_blank(std::string_view text, std::size_t offset);

// Just after the last token before `offset`: where a missing `}` belongs.
std::size_t end_of_content(std::string_view text, std::size_t offset);

// Whether a declaration starts at `offset` (`scope NAME {`, `future scope`, `public {`,
// ...), rather than a misspelt item such as `scope a:b` in a role.
bool starts_declaration(std::string_view text, std::size_t offset);

// "'word'", "'{'", "a string" or "end of file": what stands at `offset`.
std::string found_at(std::string_view text, std::size_t offset);

// The word at `offset`, or its one character.
ast::Range token_range(std::string_view text, std::size_t offset);

std::string_view text_of_range(std::string_view text, ast::Range range);

// The token at `offset` inside a condition: a word or bare address (at most 40 bytes),
// a two-character operator, or one character.
ast::Range condition_token(std::string_view text, std::size_t offset);

// found_at() for a condition: the token of condition_token().
std::string found_in_condition(std::string_view text, std::size_t offset);

}  // namespace scopegate::parsing
