// The syntax tree of one policy file, exactly as written: every name, method, template
// and string keeps its byte range in the file, so later stages can point at it.
// Nothing here is checked beyond the grammar (a method may be `GTE`, a template `x//y`);
// resolve.hpp does the checking. Plain values; owns its strings.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/policy.hpp"

namespace scopegate::ast {

// Bytes [offset, offset + length) of the file.
struct Range {
  std::size_t offset = 0;
  std::size_t length = 0;
};

// A name, method or path template, as written.
struct Word {
  std::string text;
  Range range;
};

// A string literal: `value` is unescaped, `range` covers the quotes.
struct Text {
  std::string value;
  Range range;
};

// `summary "..."`, `note "..."`, `use_case "..."`.
struct Metadata {
  Range keyword;
  Text text;
};

// `METHOD TEMPLATE "description"?`
struct Route {
  Word method;
  Word path_template;
  std::optional<Text> description;
  Range range;  // from the method to the end of the line's last token
};

// `scope NAME { ... }`, `future scope NAME { ... }`, `user scope NAME { ... }`.
struct ScopeDecl {
  ScopeKind kind = ScopeKind::plain;
  Range head;  // `scope`, `future scope` or `user scope`
  Word name;
  Range open_brace;
  std::vector<Metadata> summaries;  // more than one is an error, reported by resolve
  std::vector<Metadata> notes;
  std::vector<Metadata> use_cases;
  std::vector<Word> implies;
  std::vector<Route> routes;
};

// `public { ... }` or `authenticated { ... }`.
struct AccessBlock {
  Access access = Access::public_;
  Range keyword;
  Range open_brace;
  std::vector<Route> routes;
};

// `role NAME { summary "..."? scopes ... }`.
struct RoleDecl {
  Word name;
  Range open_brace;
  std::vector<Metadata> summaries;
  bool all_scopes = false;  // some `scopes *` line
  Range all_scopes_range;   // the first `*`
  std::vector<Word> scopes;
};

using Declaration = std::variant<ScopeDecl, AccessBlock, RoleDecl>;

struct File {
  std::shared_ptr<const SourceFile> source;
  std::vector<Declaration> declarations;  // in source order
};

}  // namespace scopegate::ast
