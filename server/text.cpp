#include "server/text.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace scopegate::server {

namespace {

// The code point starting at text[pos], advancing `pos` past it; nullopt for a sequence
// that is not well-formed UTF-8 (Unicode 15, table 3-7), which rules out overlong forms,
// surrogates and anything above U+10FFFF.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the byte after the lead
  char32_t value = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;   // below: overlong
    if (lead == 0xED) high = 0x9F;  // above: surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07;
    if (lead == 0xF0) low = 0x90;   // below: overlong
    if (lead == 0xF4) high = 0x8F;  // above: beyond U+10FFFF
  } else {
    return std::nullopt;  // a continuation byte, C0/C1 (overlong) or F5..FF
  }
  if (text.size() - pos < length) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(pos + i);
    if (next < (i == 1 ? low : 0x80) || next > (i == 1 ? high : 0xBF)) return std::nullopt;
    value = value << 6 | (next & 0x3F);
  }
  pos += length;
  return value;
}

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

bool allowed(char32_t c, Controls controls) {
  return controls == Controls::tab_and_line_breaks && (c == '\t' || c == '\n' || c == '\r');
}

}  // namespace

std::optional<std::string> check_text(std::string_view text, const TextRule& rule) {
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const auto c = next_code_point(text, pos);
    if (!c) return "must be valid UTF-8";
    ++count;
    if (is_control(*c) && !allowed(*c, rule.controls)) {
      return fmt::format("must not contain control characters (U+{:04X} at character {})",
                         static_cast<std::uint32_t>(*c), count);
    }
  }
  if (count > rule.max_characters) {
    return fmt::format("must be at most {} characters", rule.max_characters);
  }
  if (count < rule.min_characters) {
    return fmt::format("must be at least {} characters", rule.min_characters);
  }
  return std::nullopt;
}

std::string log_field(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t start = pos;
    const auto c = next_code_point(text, pos);
    if (c && !is_control(*c) && *c != ' ' && *c != '\\') {
      out.append(text.substr(start, pos - start));
      continue;
    }
    // Not UTF-8 (next_code_point did not advance): the one byte; else the whole character.
    if (!c) pos = start + 1;
    for (std::size_t i = start; i < pos; ++i) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned char>(text[i]));
    }
  }
  return out;
}

std::string percent_encoded(std::string_view text) {
  static constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    }
  }
  return out;
}

}  // namespace scopegate::server
