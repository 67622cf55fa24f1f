// Scope names as the policy text writes them. A scope name is an OAuth 2.0 scope-token
// (RFC 6749 section 3.3; scopegate::is_valid_scope_name): it is written bare when the
// grammar reads it back as itself wherever a scope name stands, and in quotes otherwise
// (`"https://www.googleapis.com/auth/drive.readonly"` is fine bare, `"a{b}"`, `"role"`
// and `"*"` are not). The `resource:action` shape is a style (`check --style`), not a
// rule. Pure functions; reentrant.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace scopegate {

// `sessions:read` -> `sessions:read`; `a{b}` -> `"a{b}"`. A name that is not a valid
// scope-token is quoted with the string escapes (`\"`, `\\`, `\n`, `\t`), so that what
// is printed reads back as the same name.
std::string written_scope_name(std::string_view name);

// The first character of a scope name, as written in the source (bare, or in quotes
// with escapes), that a scope-token may not hold: its byte offset and length in
// `written`, and what it is ("a space", "'é'"). An empty name is the whole text.
struct ScopeNameFault {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::string what;
};
std::optional<ScopeNameFault> scope_name_fault(std::string_view written);

// Whether the name is `resource:action`, each part `[a-z][a-z0-9-]*` (the style lint).
bool has_resource_action_style(std::string_view name);

// A likely `resource:action` spelling of a name, when lower-casing it and turning `_`,
// `.` and spaces into `-` gives one: `Sessions_Read:All` -> `sessions-read:all`.
std::optional<std::string> resource_action_spelling(std::string_view name);

}  // namespace scopegate
