// The syntax tree of one policy file, exactly as written: every name, method, template
// and string keeps its byte range in the file, so later stages can point at it.
// Nothing here is checked beyond the grammar (a method may be `GTE`, a template `x//y`);
// lower.hpp and the policy builder do the checking. Plain values; owns its strings.
#pragma once

#include <cstddef>
#include <cstdint>
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

// One node of a condition. Operands are indices into Condition::nodes; an operand
// always comes before the node that holds it. `range` covers the node as written:
// the token of a literal or attribute, `a == 1` for a comparison, `not x` for a
// negation, `a and b and c` for a chain (parentheses around an operand are not part of
// the operand's range, but they are inside the range of the node that holds it).
struct Expression {
  enum class Kind : std::uint8_t {
    string,     // text: the unescaped value
    integer,    // integer
    boolean,    // boolean
    ip,         // text: a bare address as written, e.g. 192.0.2.1 or ::1
    cidr,       // text: an address with a prefix length, e.g. 10.0.0.0/8
    list,       // operands: the items (literals only)
    attribute,  // text: the dotted path, e.g. request.query.size
    compare,    // operands[0] op operands[1]
    in,         // operands[0] in operands[1]
    not_,       // not operands[0]
    and_,       // operands[0] and operands[1] and ...
    or_,        // operands[0] or operands[1] or ...
  };
  Kind kind = Kind::boolean;
  CompareOp op = CompareOp::eq;  // compare only
  std::string text;
  std::int64_t integer = 0;
  bool boolean = false;
  std::vector<std::uint32_t> operands;
  Range range;
};

// `when EXPRESSION`.
struct Condition {
  Range keyword;  // `when`
  Range range;    // the expression, from its first to its last byte
  std::vector<Expression> nodes;
  std::uint32_t root = 0;  // index of the whole expression in nodes
};

// `allow_warning CODE "why"`: the warning CODE about the block that holds it is intended.
struct Acknowledgement {
  Range keyword;  // `allow_warning`
  Word code;
  Text reason;
};

// `METHOD TEMPLATE "description"? (when CONDITION)?`
struct Route {
  Word method;
  Word path_template;
  std::optional<Text> description;
  std::optional<Condition> condition;
  Range range;  // from the method to the end of the line's last token
};

// `scope NAME { ... }`, `future scope NAME { ... }`, `user scope NAME { ... }`.
struct ScopeDecl {
  ScopeKind kind = ScopeKind::plain;
  Range head;  // `scope`, `future scope` or `user scope`
  Word name;
  std::optional<Condition> condition;  // `scope NAME when ... {`: on each of its routes
  Range open_brace;
  std::vector<Metadata> summaries;  // more than one is an error, reported by lower()
  std::vector<Metadata> notes;
  std::vector<Metadata> use_cases;
  std::vector<Word> implies;
  std::vector<Acknowledgement> acknowledgements;
  std::vector<Route> routes;
  Range range;  // the whole declaration, to its `}`
};

// `public { ... }` or `authenticated { ... }`.
struct AccessBlock {
  Access access = Access::public_;
  Range keyword;
  Range open_brace;
  std::vector<Acknowledgement> acknowledgements;
  std::vector<Route> routes;
  Range range;  // the whole block, to its `}`
};

// `role NAME { summary "..."? scopes ... }`.
struct RoleDecl {
  Word name;
  Range open_brace;
  std::vector<Metadata> summaries;
  bool all_scopes = false;  // some `scopes *` line
  Range all_scopes_range;   // the first `*`
  std::vector<Word> scopes;
  std::vector<Acknowledgement> acknowledgements;
  Range range;  // the whole declaration, from `role` to its `}`
};

// `forbid METHOD TEMPLATE (when CONDITION)? { message "..." }`.
struct ForbidDecl {
  Range keyword;  // `forbid`
  Word method;
  Word path_template;
  std::optional<Condition> condition;
  Range open_brace;
  std::vector<Metadata> messages;  // more than one is an error, reported by lower()
  std::vector<Acknowledgement> acknowledgements;
  Range range;  // the whole declaration, to its `}`
};

using Declaration = std::variant<ScopeDecl, AccessBlock, RoleDecl, ForbidDecl>;

struct File {
  std::shared_ptr<const SourceFile> source;
  std::vector<Declaration> declarations;  // in source order
};

}  // namespace scopegate::ast
