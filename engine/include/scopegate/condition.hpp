// Conditions: typed boolean expressions over the request and the principal, written
// after `when` on a route line or a scope, and in `forbid` rules. The builder receives a
// ConditionSpec tree (from dsl/ or an embedder), checks names and types, and compiles it
// into a flat program inside the Policy. Evaluating one never allocates and never
// throws: a missing attribute makes its comparison false.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/export.hpp"
#include "scopegate/ip.hpp"

namespace scopegate {

enum class ValueType : std::uint8_t {
  string,
  integer,
  boolean,
  ip,
  cidr,
  time,  // seconds since 1970-01-01T00:00:00Z; literals are ISO-8601 strings
  string_list,
  integer_list,
  cidr_list,
  scope_set,   // principal.scopes: `"a:b" in principal.scopes`, `principal.scopes == []`
  empty_list,  // `[]`, comparable with any list
};

SCOPEGATE_EXPORT std::string_view to_string(ValueType type) noexcept;
// With its article, for messages: "an IP address", "a list of strings".
SCOPEGATE_EXPORT std::string_view with_article(ValueType type) noexcept;

enum class Attribute : std::uint8_t {
  request_method,           // string, e.g. "GET"
  request_path,             // string, the path without its query
  request_ip,               // ip; missing when the caller gave none
  request_param,            // string: request.param.NAME, a bound path parameter
  request_query,            // string: request.query.NAME (two different values: unreadable)
  request_header,           // string: request.header.NAME, case-insensitive name
  request_time,             // time; missing when the caller gave none
  principal_kind,           // string: "api_key", "user" or "anonymous"
  principal_id,             // string; missing when unset
  principal_name,           // string; missing when unset
  principal_org,            // string; missing when unset
  principal_role,           // string; missing for API keys
  principal_scopes,         // scope_set
  principal_allowed_cidrs,  // cidr_list (empty when none were set)
};

struct AttributeInfo {
  Attribute attribute;
  ValueType type;
  std::string_view key;  // NAME for request.param/query/header, else empty
};

// "request.query.size" -> {request_query, string, "size"}; nullopt when unknown.
SCOPEGATE_EXPORT std::optional<AttributeInfo> find_attribute(std::string_view dotted) noexcept;
// Every attribute name, for help lines (keyed ones end in ".NAME").
SCOPEGATE_EXPORT std::span<const std::string_view> attribute_names() noexcept;
// The values an attribute can have when that set is closed (principal.kind,
// request.method); empty for any other. The builder accepts any value (a comparison
// with another is false); the policy compiler refuses one.
SCOPEGATE_EXPORT std::span<const std::string_view> closed_values(Attribute attribute) noexcept;

enum class CompareOp : std::uint8_t { eq, ne, lt, le, gt, ge };

// Why a condition was refused at compile time.
enum class ConditionErrorKind : std::uint8_t {
  type,               // operands or operators that do not fit together
  unknown_attribute,  // not in the attribute table
  unknown_parameter,  // request.param.NAME that the route does not bind
  bad_literal,        // an IP address, CIDR range or timestamp that does not parse
  unknown_scope,      // `"x:y" in principal.scopes` with an undeclared scope
};
SCOPEGATE_EXPORT std::string_view to_string(CompareOp op) noexcept;

// An owning expression tree. `tag` is the caller's own id for the node (dsl/ puts an
// AST node index there) and comes back in BuildError::condition_tag.
struct ConditionSpec {
  enum class Kind : std::uint8_t {
    string_literal,   // text
    integer_literal,  // integer
    boolean_literal,  // boolean
    ip_literal,       // text, e.g. "10.0.0.1" (written as a bare address)
    cidr_literal,     // text, e.g. "10.0.0.0/8"
    list_literal,     // children (all literals of one type; may be empty)
    attribute,        // text: "request.query.size"
    compare,          // children[0] op children[1]
    in,               // children[0] in children[1]
    not_,             // not children[0]
    and_,             // children[0] and children[1] and ...
    or_,              // children[0] or children[1] or ...
  };
  Kind kind = Kind::boolean_literal;
  CompareOp op = CompareOp::eq;
  std::string text;
  std::int64_t integer = 0;
  bool boolean = false;
  std::vector<ConditionSpec> children;
  std::uint32_t tag = 0;
};

// An HTTP header as the caller has it; names compare case-insensitively.
struct Header {
  std::string_view name;
  std::string_view value;
};

// Everything a decision may look at besides the principal. Only method and target are
// needed for decisions without conditions.
struct Request {
  std::string_view method;
  std::string_view target;  // the path, optionally followed by `?query`
  std::optional<IpAddress> ip;
  std::span<const Header> headers;
  std::optional<std::int64_t> time;  // seconds since the epoch, UTC
};

// "2026-02-18T10:30:00Z" -> seconds since the epoch; nullopt unless exactly that form.
SCOPEGATE_EXPORT std::optional<std::int64_t> parse_timestamp(std::string_view text) noexcept;

}  // namespace scopegate
