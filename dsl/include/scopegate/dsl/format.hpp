// The canonical layout of a policy file, as `scopegate fmt` writes it: 2-space indent,
// declarations in the order written with one blank line between them, scope metadata
// first (summary, note, use_case, implies) then route lines with aligned columns,
// conditions with single spaces and only the parentheses they need, and every comment
// kept (before the item that follows it, or at the end of its line). Formatting needs
// only a file that parses; it never changes what the file compiles to, and
// format(format(x)) == format(x). Pure functions; reentrant.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/dsl/ast.hpp"
#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/export.hpp"
#include "scopegate/result.hpp"

namespace scopegate {

// Lines longer than this are broken: a condition at its top-level `and`/`or`, a list of
// `implies` or `scopes` names into several lines.
inline constexpr std::size_t format_line_width = 100;

// The canonical text of one file; a syntax error comes back as its diagnostic.
SCOPEGATE_EXPORT Result<std::string, Diagnostics> format_source(std::string_view file_name,
                                                                std::string_view text);

// A condition on one line, canonical: "request.ip in [10.0.0.0/8] and not (a == 1 or b == 2)".
SCOPEGATE_EXPORT std::string format_condition(const ast::Condition& condition);

// The canonical form of a condition given as text, such as Grant::condition_text; the
// text itself, with its white space made single spaces, when it does not parse.
SCOPEGATE_EXPORT std::string canonical_condition_text(std::string_view text);

// The files `scopegate fmt` and compile_files() read for `paths`: each file given, and
// each `*.policy` file directly inside each directory given (sorted by name); a file
// reached twice is listed once. Paths that do not exist are returned as given, for the
// caller to report.
SCOPEGATE_EXPORT std::vector<std::filesystem::path> policy_files(
    const std::vector<std::filesystem::path>& paths);

}  // namespace scopegate
