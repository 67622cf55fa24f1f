#include "scopegate/path.hpp"

#include "path_scan.hpp"
#include "percent.hpp"

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
    case PathError::too_long:
      return "Path is too long";
    case PathError::path_parameters:
      return "Path contains a ';' (path parameters); send it as %3B";
  }
  return "Path is invalid";
}

PathError split_path(std::string_view path, PathSegments& out) noexcept {
  const PathError error = path_scan::split(path, out);
  if (error != PathError::none) {
    out.size = 0;
    out.encoded_mask = 0;
    out.path = {};
  }
  return error;
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
