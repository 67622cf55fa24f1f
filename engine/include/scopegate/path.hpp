// Request path validation: the checks every decision starts with, so that embedders get
// them too. A path that fails is refused with `invalid_path` (400) before any route is
// looked at. Pure functions over borrowed text; nothing allocates.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "scopegate/export.hpp"
#include "scopegate/template.hpp"

namespace scopegate {

enum class PathError : std::uint8_t {
  none,
  not_absolute,          // does not start with `/`
  empty_segment,         // `//` or a trailing `/`
  dot_segment,           // `.` or `..`, also percent-encoded (`%2e%2E`)
  encoded_separator,     // `%2F`, `%5C`, or a raw `\`
  nul_byte,              // raw or `%00`
  control_character,     // a raw byte below 0x20 or 0x7F
  bad_percent_encoding,  // `%` not followed by two hex digits
  too_many_segments,     // more than max_path_segments
  too_long,              // 4 GiB or more (segment offsets are 32-bit); checked first
  // A raw `;`: Tomcat, Spring and Jetty take `;...` in a segment for path parameters and
  // route on the rest (`/admin;x` is `/admin`, `..;x` is `..`), other servers do not, so
  // the path the policy would judge is not always the one served. As data it is `%3B`.
  path_parameters,
};

// A message for people and response bodies: "Path contains a dot segment".
SCOPEGATE_EXPORT std::string_view describe(PathError error) noexcept;

// A validated request path split into segments. It borrows from the text given to
// split_path(), which must outlive it; segments are still percent-encoded. Only the
// first `size` offsets are meaningful (the arrays are left uninitialized on purpose:
// decide() builds one of these on its stack for every request).
struct PathSegments {
  std::string_view path;  // the validated path, without its query string
  std::array<std::uint32_t, max_path_segments> begin;
  std::array<std::uint32_t, max_path_segments> end;
  std::size_t size = 0;
  std::uint64_t encoded_mask = 0;  // bit i set: segment i contains a `%`

  std::string_view segment(std::size_t i) const noexcept {
    return path.substr(begin[i], end[i] - begin[i]);
  }
  bool encoded(std::size_t i) const noexcept { return (encoded_mask >> i & 1U) != 0; }
};

// Validates `path` (no query string: everything from the first `?` is ignored) and
// splits it. Returns PathError::none on success; on an error `out` is left empty. When a
// path has several problems, the one reported is the first from the left (a segment's
// own problems, empty or dot segment or one too many, count at the `/` that ends it).
SCOPEGATE_EXPORT PathError split_path(std::string_view path, PathSegments& out) noexcept;

// Compares a request segment (percent-encoded) with a literal, as the decoded bytes:
// <0, 0, >0 like std::string_view::compare.
SCOPEGATE_EXPORT int compare_segment(std::string_view encoded, std::string_view literal) noexcept;

// Decodes percent-encoding; `text` must have passed split_path().
SCOPEGATE_EXPORT std::string percent_decode(std::string_view text);

}  // namespace scopegate
