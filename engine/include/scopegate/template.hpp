// Route templates: `/api/v1/sessions/{id}/stop`, `/files/*`, `/static/**`.
// parse_template() checks a template and splits it into segments; covers() says whether
// one template matches every path another one matches. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/export.hpp"
#include "scopegate/result.hpp"

namespace scopegate {

enum class SegmentKind : std::uint8_t {
  literal,  // `sessions`: matches exactly that text (after percent-decoding the request)
  param,    // `{id}`: one non-empty segment, bound under its name
  any,      // `*`: one non-empty segment, not bound
  rest,     // `**`: zero or more segments; only as the last segment
};

struct Segment {
  SegmentKind kind = SegmentKind::literal;
  std::string text;  // the literal, or the parameter name; empty for `*` and `**`

  friend bool operator==(const Segment&, const Segment&) = default;
};

struct SCOPEGATE_EXPORT Template {
  std::vector<Segment> segments;  // `/` has none

  // How many `{name}` segments the template binds.
  std::size_t param_count() const noexcept;
  // The template with every parameter written as `*`: two templates tie exactly when
  // their shapes are equal.
  std::string shape() const;
};

// The most path parameters one template may bind (Decision keeps them inline).
inline constexpr std::size_t max_path_params = 8;
// The most segments a template or a request path may have.
inline constexpr std::size_t max_path_segments = 64;

// Why a template was refused, and where: `offset`/`length` are bytes within the
// template text, for a caret under the culprit.
struct TemplateError {
  std::size_t offset = 0;
  std::size_t length = 1;
  std::string message;  // lowercase, no trailing period: "empty path segment"
  std::string help;     // a concrete fix, or empty
};

// Rules: starts with `/`; segments separated by single `/`; no trailing `/` (except the
// root `/`); literals use unreserved and sub-delim characters only (no `%`, `?`, `#`,
// `{`, `}`); `{name}` with name `[a-z_][A-Za-z0-9_]*`, unique within the template;
// `*` and `**` stand alone in their segment; `**` only last; at most max_path_params
// parameters and max_path_segments segments; no `.` or `..` segment.
SCOPEGATE_EXPORT Result<Template, TemplateError> parse_template(std::string_view text);

// True when every concrete path matched by `specific` is matched by `general`
// (so a scope listing `general` grants the endpoint `specific`).
SCOPEGATE_EXPORT bool covers(const Template& general, const Template& specific) noexcept;

}  // namespace scopegate
