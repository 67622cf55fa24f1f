#include "scopegate/dsl/diagnostic.hpp"

#include <algorithm>
#include <ostream>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

namespace scopegate {

namespace {

constexpr std::size_t tab_stop = 8;
constexpr std::size_t min_gutter_width = 5;

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The line holding `offset`: [begin, end) without the line break.
std::pair<std::size_t, std::size_t> line_bounds(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const std::size_t newline_before =
      offset == 0 ? std::string_view::npos : text.rfind('\n', offset - 1);
  const std::size_t begin = newline_before == std::string_view::npos ? 0 : newline_before + 1;
  std::size_t end = text.find('\n', offset);
  if (end == std::string_view::npos) end = text.size();
  if (end > begin && text[end - 1] == '\r') --end;
  return {begin, end};
}

// Display columns taken by `bytes` when it starts at display column `column`
// (tabs expand to the next tab stop; a UTF-8 code point is one column).
std::size_t advance(std::string_view bytes, std::size_t column) {
  for (char c : bytes) {
    if (c == '\t') {
      column += tab_stop - column % tab_stop;
    } else if (!is_continuation_byte(c)) {
      ++column;
    }
  }
  return column;
}

// `line`, starting at display column `column`, as a terminal shows it safely: tabs
// expanded, and every other control character (an escape sequence would recolour the
// terminal or move its cursor) as U+FFFD, one column as well.
std::string expand_tabs(std::string_view line, std::size_t column) {
  std::string out;
  for (char c : line) {
    if (c == '\t') {
      const std::size_t width = tab_stop - column % tab_stop;
      out.append(width, ' ');
      column += width;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += "\xEF\xBF\xBD";
      ++column;
    } else {
      out.push_back(c);
      if (!is_continuation_byte(c)) ++column;
    }
  }
  return out;
}

// How much of a long line an excerpt shows: about this many bytes around the span.
constexpr std::size_t excerpt_context = 60;

// The part of the line [begin, end) that an excerpt of the span [start, stop) shows: all
// of it when short, else `excerpt_context` bytes either side of the span's start (a
// 300 KB line is not printed whole), cut at code point boundaries.
std::pair<std::size_t, std::size_t> excerpt_window(std::string_view text, std::size_t begin,
                                                   std::size_t end, std::size_t start) {
  if (end - begin <= 2 * excerpt_context + 40) return {begin, end};
  std::size_t from = start > begin + excerpt_context ? start - excerpt_context : begin;
  std::size_t to = std::min(end, start + excerpt_context);
  // A code point has at most 3 continuation bytes; more are not UTF-8, and cut anywhere.
  for (int i = 0; i < 3 && from > begin && is_continuation_byte(text[from]); ++i) --from;
  for (int i = 0; i < 3 && to < end && is_continuation_byte(text[to]); ++i) ++to;
  return {from, to};
}

std::string location_prefix(const Span& span) {
  if (!span.file) return "scopegate";
  if (span.line == 0) return span.file->name;
  return fmt::format("{}:{}:{}", span.file->name, span.line, span.column);
}

// The source line under the span, with a gutter, and the caret/tilde underline.
void render_excerpt(std::string& out, const Span& span) {
  if (!span.file || span.line == 0) return;
  const std::string_view text = span.file->text;
  const auto [begin, end] = line_bounds(text, span.offset);
  const std::size_t start = std::min(std::max(span.offset, begin), end);
  const auto [from, to] = excerpt_window(text, begin, end, start);
  const std::size_t stop = std::min(std::max(start, span.offset + span.length), to);
  const std::string_view line = text.substr(from, to - from);
  // "…" (one column) where the window cuts the line.
  const std::string before = from > begin ? "\u2026" : "";
  const std::string after = to < end ? "\u2026" : "";

  const std::string number = std::to_string(span.line);
  const std::size_t width = std::max(min_gutter_width, number.size());
  const std::size_t start_column = advance(line.substr(0, start - from), before.empty() ? 0 : 1);
  const std::size_t stop_column = advance(text.substr(start, stop - start), start_column);
  const std::size_t tildes = stop_column > start_column ? stop_column - start_column - 1 : 0;

  out += fmt::format("{:>{}} | {}{}{}\n", number, width, before,
                     expand_tabs(line, before.empty() ? 0 : 1), after);
  out += fmt::format("{:>{}} | {}^{}\n", "", width, std::string(start_column, ' '),
                     std::string(tildes, '~'));
}

std::string summary_line(std::size_t errors, std::size_t warnings) {
  const auto count = [](std::size_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
  };
  if (warnings == 0) return count(errors, "error") + " generated.\n";
  if (errors == 0) return count(warnings, "warning") + " generated.\n";
  return count(warnings, "warning") + " and " + count(errors, "error") + " generated.\n";
}

}  // namespace

Span make_span(std::shared_ptr<const SourceFile> file, std::size_t offset, std::size_t length) {
  Span span;
  if (file) {
    const std::string_view text = file->text;
    offset = std::min(offset, text.size());
    const std::string_view before = text.substr(0, offset);
    span.line = static_cast<std::uint32_t>(std::count(before.begin(), before.end(), '\n') + 1);
    const std::size_t newline = before.rfind('\n');
    const std::size_t line_begin = newline == std::string_view::npos ? 0 : newline + 1;
    span.column = static_cast<std::uint32_t>(offset - line_begin + 1);
  }
  span.file = std::move(file);
  span.offset = offset;
  span.length = length;
  return span;
}

void Diagnostics::add(Diagnostic diagnostic) { m_items.push_back(std::move(diagnostic)); }

void Diagnostics::append(Diagnostics other) {
  m_items.insert(m_items.end(), std::make_move_iterator(other.m_items.begin()),
                 std::make_move_iterator(other.m_items.end()));
}

void Diagnostics::sort() {
  const auto key = [](const Diagnostic& d) {
    return std::tuple(d.span.file != nullptr,
                      d.span.file ? std::string_view(d.span.file->name) : std::string_view(),
                      d.span.offset, std::string_view(d.code));
  };
  std::stable_sort(m_items.begin(), m_items.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
}

std::size_t Diagnostics::error_count() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(m_items.begin(), m_items.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

std::size_t Diagnostics::warning_count() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(m_items.begin(), m_items.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::warning; }));
}

std::string Diagnostics::render() const {
  if (m_items.empty()) return {};
  std::string out;
  for (const Diagnostic& d : m_items) {
    out += fmt::format("{}: {}: {} [{}]\n", location_prefix(d.span), to_string(d.severity),
                       d.message, d.code);
    render_excerpt(out, d.span);
    if (!d.help.empty()) {
      out += fmt::format("{:>{}} = help: {}\n", "", min_gutter_width, d.help);
    }
    for (const Label& note : d.notes) {
      out += fmt::format("{}: note: {}\n", location_prefix(note.span), note.message);
      render_excerpt(out, note.span);
    }
  }
  out += summary_line(error_count(), warning_count());
  return out;
}

std::ostream& operator<<(std::ostream& out, const Diagnostics& diagnostics) {
  return out << diagnostics.render();
}

std::string describe_error(const Diagnostics& diagnostics) { return diagnostics.render(); }

std::string_view to_string(Severity severity) noexcept {
  switch (severity) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::note:
      return "note";
  }
  return "error";
}

}  // namespace scopegate
