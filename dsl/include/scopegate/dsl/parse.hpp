// Parsing: the text of one policy file -> its syntax tree (ast.hpp). A syntax error
// stops the parse of that file and is reported once, with a message for people (never
// a grammar rule name), a help line and, where useful, a note (e.g. where the unclosed
// block opened). Reentrant; the PEGTL grammar stays behind this header.
#pragma once

#include <cstddef>
#include <memory>

#include "scopegate/dsl/ast.hpp"
#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/export.hpp"

namespace scopegate {

// Sanity limits, reported as `limit-exceeded`.
inline constexpr std::size_t max_file_bytes = std::size_t{16} << 20;  // per file
inline constexpr std::size_t max_token_bytes = 1024;                  // a name, method or template
inline constexpr std::size_t max_string_bytes = 4096;   // a string literal, as written
inline constexpr std::size_t max_condition_depth = 32;  // parentheses and `not`, nested

struct ParseResult {
  ast::File file;           // everything parsed before the first error, if any
  Diagnostics diagnostics;  // empty, or exactly one error
};

SCOPEGATE_EXPORT ParseResult parse(std::shared_ptr<const SourceFile> source);

}  // namespace scopegate
