#include "scopegate/template.hpp"

#include <algorithm>

namespace scopegate {
namespace {

bool is_literal_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  // RFC 3986 unreserved and sub-delims, plus ':' and '@' (pchar), minus '%' and ';' (which
  // requests may not hold: PathError::path_parameters).
  constexpr std::string_view allowed = "-._~!$&'()+,=:@";
  return allowed.find(c) != std::string_view::npos;
}

bool is_param_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  const char first = name.front();
  if (!((first >= 'a' && first <= 'z') || first == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Unexpected<TemplateError> fail(std::size_t offset, std::size_t length, std::string message,
                               std::string help = {}) {
  return unexpected(
      TemplateError{offset, std::max<std::size_t>(length, 1), std::move(message), std::move(help)});
}

// Checks one segment that starts at `offset` in the template text.
Result<Segment, TemplateError> parse_segment(std::string_view text, std::size_t offset,
                                             bool is_last) {
  if (text == "**") {
    if (!is_last) {
      return fail(offset, 2, "'**' must be the last segment",
                  "use '*' to match exactly one segment here, or move '**' to the end");
    }
    return Segment{SegmentKind::rest, {}};
  }
  if (text == "*") return Segment{SegmentKind::any, {}};
  if (text.front() == '{') {
    if (text.back() != '}' || text.size() < 2) {
      return fail(offset, text.size(), "unclosed parameter '" + std::string(text) + "'",
                  "write a parameter as a whole segment, e.g. '{id}'");
    }
    const std::string_view name = text.substr(1, text.size() - 2);
    if (!is_param_name(name)) {
      return fail(offset + 1, name.size(), "bad parameter name '" + std::string(name) + "'",
                  "parameter names start with a lowercase letter or '_' and continue with "
                  "letters, digits or '_', e.g. '{session_id}'");
    }
    return Segment{SegmentKind::param, std::string(name)};
  }
  if (text == "." || text == "..") {
    return fail(offset, text.size(), "dot segment '" + std::string(text) + "' in template",
                "requests with dot segments are refused before matching: remove it");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '*') {
      return fail(offset + i, 1, "'*' must stand alone in its segment",
                  "use '/*/' for any one segment or a trailing '/**' for any rest");
    }
    if (c == ';') {
      return fail(offset + i, 1, "';' in a template",
                  "requests with a raw ';' (path parameters) are refused before matching, so "
                  "the route could never match: remove it");
    }
    if (c == '{' || c == '}') {
      return fail(offset + i, 1, "a parameter must be a whole segment",
                  "write '/{id}/', not a parameter inside other text");
    }
    if (!is_literal_char(c)) {
      // Built in steps: g++ 12 at -O3 warns (-Wrestrict, a false positive) on "x" + string&&.
      std::string message = "a control character";
      if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
        message.assign("character '").append(1, c).append(1, '\'');
      }
      message.append(" is not allowed in a route template");
      return fail(offset + i, 1, std::move(message),
                  "templates hold plain path text: letters, digits and -._~!$&'()+,;=:@");
    }
  }
  return Segment{SegmentKind::literal, std::string(text)};
}

}  // namespace

std::size_t Template::param_count() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(segments.begin(), segments.end(),
                    [](const Segment& s) { return s.kind == SegmentKind::param; }));
}

std::string Template::shape() const {
  if (segments.empty()) return "/";
  std::string out;
  for (const Segment& segment : segments) {
    out += '/';
    switch (segment.kind) {
      case SegmentKind::literal:
        out += segment.text;
        break;
      case SegmentKind::param:
      case SegmentKind::any:
        out += '*';
        break;
      case SegmentKind::rest:
        out += "**";
        break;
    }
  }
  return out;
}

Result<Template, TemplateError> parse_template(std::string_view text) {
  if (text.empty() || text.front() != '/') {
    return fail(0,
                text.empty()                               ? 1
                : text.find('/') == std::string_view::npos ? text.size()
                                                           : text.find('/'),
                "route template must start with '/'",
                "write the full path, e.g. '/" + std::string(text) + "'");
  }
  Template result;
  if (text == "/") return result;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = text.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? text.size() : slash;
    if (end == start) {
      const bool trailing = start == text.size();
      return fail(start - 1, 1, trailing ? "route template ends with '/'" : "empty path segment",
                  trailing ? "remove the trailing '/'" : "remove the extra '/'");
    }
    if (result.segments.size() == max_path_segments) {
      return fail(
          start, text.size() - start,
          "route template has more than " + std::to_string(max_path_segments) + " segments");
    }
    auto segment =
        parse_segment(text.substr(start, end - start), start, slash == std::string_view::npos);
    if (!segment) return unexpected(std::move(segment).error());
    if (segment->kind == SegmentKind::param) {
      for (const Segment& earlier : result.segments) {
        if (earlier.kind == SegmentKind::param && earlier.text == segment->text) {
          return fail(start + 1, segment->text.size(),
                      "parameter '" + segment->text + "' appears twice in this template",
                      "give each parameter its own name, e.g. '{id}' and '{item_id}'");
        }
      }
      if (result.param_count() == max_path_params) {
        return fail(
            start, end - start,
            "route template binds more than " + std::to_string(max_path_params) + " parameters",
            "use '*' for segments whose value the handler does not need");
      }
    }
    result.segments.push_back(std::move(*segment));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return result;
}

bool covers(const Template& general, const Template& specific) noexcept {
  const auto& g = general.segments;
  const auto& s = specific.segments;
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (g[i].kind == SegmentKind::rest) return true;
    if (i >= s.size() || s[i].kind == SegmentKind::rest) return false;
    if (g[i].kind == SegmentKind::literal &&
        (s[i].kind != SegmentKind::literal || s[i].text != g[i].text)) {
      return false;
    }
  }
  return g.size() == s.size();
}

}  // namespace scopegate
