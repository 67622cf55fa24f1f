#include "scopegate/path.hpp"

#include "percent.hpp"

#include <array>

namespace scopegate {
std::string_view describe(PathError error) noexcept {
  switch (error) {
    case PathError::none:
      return "Path is valid";
    case PathError::not_absolute:
      return "Path must start with '/'";
    case PathError::empty_segment:
      return "Path contains an empty segment";
    case PathError::dot_segment:
      return "Path contains a dot segment";
    case PathError::encoded_separator:
      return "Path contains an encoded or backslash separator";
    case PathError::nul_byte:
      return "Path contains a NUL byte";
    case PathError::control_character:
      return "Path contains a control character";
    case PathError::bad_percent_encoding:
      return "Path contains invalid percent-encoding";
    case PathError::too_many_segments:
      return "Path has too many segments";
  }
  return "Path is invalid";
}

namespace {

enum ByteClass : std::uint8_t { plain, slash, percent, query, nul, control, backslash };

constexpr std::array<std::uint8_t, 256> byte_classes = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 1; c < 0x20; ++c) table[c] = control;
  table[0x7f] = control;
  table[0] = nul;
  table['/'] = slash;
  table['%'] = percent;
  table['?'] = query;
  table['\\'] = backslash;
  return table;
}();

// "." or "..", also with either dot percent-encoded. `segment` has valid encoding.
bool is_dot_segment(std::string_view segment) noexcept {
  if (segment.size() > 6) return false;
  std::size_t dots = 0;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '.') {
      ++dots;
    } else if (segment[i] == '%' && segment[i + 1] == '2' && (segment[i + 2] | 0x20) == 'e') {
      ++dots;
      i += 2;
    } else {
      return false;
    }
  }
  return dots <= 2;
}

}  // namespace

PathError split_path(std::string_view path, PathSegments& out) noexcept {
  out.size = 0;
  out.encoded_mask = 0;
  out.path = {};
  if (path.empty() || path.front() != '/') return PathError::not_absolute;
  // One pass: validate every byte, cut segments at '/', stop at '?' or the end.
  const std::size_t length = path.size();
  std::size_t start = 1;
  bool encoded = false;
  std::size_t i = 1;
  while (true) {
    std::uint8_t kind = plain;
    while (i < length && (kind = byte_classes[static_cast<unsigned char>(path[i])]) == plain) ++i;
    if (i == length || kind == slash || kind == query) {
      if (i == start) {
        if (start == 1 && kind != slash) {  // the root "/"
          out.path = path.substr(0, 1);
          return PathError::none;
        }
        return PathError::empty_segment;
      }
      if (i - start <= 6 && is_dot_segment(path.substr(start, i - start))) {
        return PathError::dot_segment;
      }
      if (out.size == max_path_segments) return PathError::too_many_segments;
      out.begin[out.size] = static_cast<std::uint32_t>(start);
      out.end[out.size] = static_cast<std::uint32_t>(i);
      if (encoded) out.encoded_mask |= std::uint64_t{1} << out.size;
      ++out.size;
      if (i == length || kind == query) {
        out.path = path.substr(0, i);
        return PathError::none;
      }
      start = ++i;
      encoded = false;
      continue;
    }
    switch (kind) {
      case nul:
        return PathError::nul_byte;
      case control:
        return PathError::control_character;
      case backslash:
        return PathError::encoded_separator;
      default:
        break;
    }
    // kind == percent
    if (i + 2 >= length) return PathError::bad_percent_encoding;
    const int high = hex_value(path[i + 1]);
    const int low = hex_value(path[i + 2]);
    if (high < 0 || low < 0) return PathError::bad_percent_encoding;
    const int value = high * 16 + low;
    if (value == 0) return PathError::nul_byte;
    if (value == '/' || value == '\\') return PathError::encoded_separator;
    encoded = true;
    i += 3;
  }
}

int compare_segment(std::string_view encoded, std::string_view literal) noexcept {
  Decoder decoder(encoded, Encoding::percent);
  for (const char l : literal) {
    const int c = decoder.next();
    if (c < 0) return -1;
    if (c != static_cast<unsigned char>(l)) return c < static_cast<unsigned char>(l) ? -1 : 1;
  }
  return decoder.next() < 0 ? 0 : 1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  Decoder decoder(text, Encoding::percent);
  for (int c = decoder.next(); c >= 0; c = decoder.next()) out += static_cast<char>(c);
  return out;
}

}  // namespace scopegate
