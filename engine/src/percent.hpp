// Percent-decoding, one byte at a time and without allocating: request paths, path
// parameters and query strings. Private to engine/ (path matching and conditions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace scopegate {

// 0..15 for a hex digit, -1 otherwise.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// How a request text is encoded: path parameters are percent-encoded, query keys and
// values also use '+' for a space; literals and headers are plain.
enum class Encoding : std::uint8_t { plain, percent, form };

// Reads the decoded bytes of a text one at a time; -1 at the end.
class Decoder {
 public:
  Decoder(std::string_view text, Encoding encoding) noexcept : m_text(text), m_encoding(encoding) {}

  int next() noexcept {
    if (m_at >= m_text.size()) return -1;
    const auto c = static_cast<unsigned char>(m_text[m_at]);
    if (m_encoding == Encoding::plain) {
      ++m_at;
      return c;
    }
    if (c == '+' && m_encoding == Encoding::form) {
      ++m_at;
      return ' ';
    }
    if (c == '%' && m_at + 2 < m_text.size()) {
      const int high = hex_value(m_text[m_at + 1]);
      const int low = hex_value(m_text[m_at + 2]);
      if (high >= 0 && low >= 0) {
        m_at += 3;
        return high * 16 + low;
      }
    }
    ++m_at;
    return c;
  }

 private:
  std::string_view m_text;
  Encoding m_encoding;
  std::size_t m_at = 0;
};

}  // namespace scopegate
