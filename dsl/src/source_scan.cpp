// See source_scan.hpp.
#include "source_scan.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include <fmt/format.h>

namespace scopegate::parsing {

namespace {

bool is_name_char(char c) {
  return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '{' && c != '}' && c != '"' &&
         c != '#';
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Whether `at` is outside any string literal that starts on the line at `from`.
bool outside_string(std::string_view text, std::size_t from, std::size_t at) {
  bool inside = false;
  for (std::size_t i = from; i < at; ++i) {
    if (inside && text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      inside = !inside;
    }
  }
  return !inside;
}

}  // namespace

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view word_at(std::string_view text, std::size_t offset) {
  std::size_t end = offset;
  while (end < text.size() && is_name_char(text[end])) ++end;
  return text.substr(offset, end - offset);
}

std::size_t skip_spaces(std::string_view text, std::size_t offset) {
  while (offset < text.size() && is_space(text[offset])) ++offset;
  return offset;
}

std::size_t skip_blank(std::string_view text, std::size_t offset) {
  for (;;) {
    offset = skip_spaces(text, offset);
    if (offset >= text.size() || text[offset] != '#') return offset;
    while (offset < text.size() && text[offset] != '\n') ++offset;
  }
}

std::size_t end_of_content(std::string_view text, std::size_t offset) {
  std::size_t end = std::min(offset, text.size());
  for (;;) {
    while (end > 0 && is_space(text[end - 1])) --end;
    // Step over a comment that ends the line we are on.
    const std::size_t line_start = text.rfind('\n', end == 0 ? 0 : end - 1);
    const std::size_t from = line_start == std::string_view::npos ? 0 : line_start + 1;
    const std::size_t hash = text.find('#', from);
    if (hash == std::string_view::npos || hash >= end || !outside_string(text, from, hash)) {
      return end;
    }
    end = hash;
  }
}

bool starts_declaration(std::string_view text, std::size_t offset) {
  const std::string_view word = word_at(text, offset);
  std::size_t next = skip_spaces(text, offset + word.size());
  if (word == "scope" || word == "role") {
    next = skip_spaces(text, next + word_at(text, next).size());
    return next < text.size() && text[next] == '{';
  }
  if (word == "future" || word == "user") return word_at(text, next) == "scope";
  if (word == "public" || word == "authenticated") {
    return next < text.size() && text[next] == '{';
  }
  return word == "forbid" && !word_at(text, next).empty();
}

std::string found_at(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return "end of file";
  const std::string_view word = word_at(text, offset);
  if (word.empty()) {
    if (text[offset] == '"') return "a string";
    return fmt::format("'{}'", text[offset]);
  }
  if (word.size() > 40) return fmt::format("'{}...'", word.substr(0, 40));
  return fmt::format("'{}'", word);
}

ast::Range token_range(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return {offset, 0};
  const std::string_view word = word_at(text, offset);
  return {offset, word.empty() ? 1 : word.size()};
}

std::string_view text_of_range(std::string_view text, ast::Range range) {
  return text.substr(range.offset, range.length);
}

ast::Range condition_token(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return {offset, 0};
  std::size_t end = offset;
  const auto bare = [](char c) { return is_word_char(c) || c == '.' || c == ':' || c == '/'; };
  while (end < text.size() && bare(text[end])) ++end;
  if (end > offset) return {offset, std::min<std::size_t>(end - offset, 40)};
  const std::string_view two = text.substr(offset, 2);
  if (two == "==" || two == "!=" || two == "<=" || two == ">=" || two == "&&" || two == "||") {
    return {offset, 2};
  }
  return {offset, 1};
}

std::string found_in_condition(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return "end of file";
  if (text[offset] == '"') return "a string";
  return fmt::format("'{}'", text_of_range(text, condition_token(text, offset)));
}

std::optional<std::size_t> invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code_point = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code_point = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr std::array<std::uint32_t, 5> smallest = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < smallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return std::nullopt;
}

}  // namespace scopegate::parsing
