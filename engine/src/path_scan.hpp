// The path scanner behind split_path(), inlined into Policy::decide() as well. Private
// to engine/.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "percent.hpp"
#include "scopegate/path.hpp"

namespace scopegate::path_scan {

// The bytes split() stops at: `/`, `%`, `?`, `\`, `;` and control bytes (below 0x20,
// 0x7f). Bytes from 0x80 up are plain, as are all others.
inline constexpr std::array<bool, 256> special_bytes = [] {
  std::array<bool, 256> special{};
  for (std::size_t c = 0; c < 0x20; ++c) special[c] = true;
  for (const char c : std::string_view("/%?\\;")) special[static_cast<unsigned char>(c)] = true;
  special[0x7f] = true;
  return special;
}();

// split() marks the special bytes of a block of the path at once, then visits only those:
// faster than a branch on every byte.
inline constexpr std::size_t block_size = 16;

// The special bytes among the `count` (at most block_size) bytes at `at`: bit i for byte
// at + i.
inline unsigned find_special(const char* at, std::size_t count) noexcept {
  unsigned marks = 0;
  for (std::size_t i = 0; i < count; ++i) {
    marks |= unsigned{special_bytes[static_cast<unsigned char>(at[i])]} << i;
  }
  return marks;
}

// The same for the block_size bytes at `at`. Where SSE2 is known to be there (every
// x86-64 CPU) a few vector compares: without them, decide() takes 1.3x as long on the
// large mixes of bench/engine_bench.cpp.
inline unsigned find_special_in_block(const char* at) noexcept {
#if defined(__SSE2__)
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  const auto equal = [&bytes](char c) { return _mm_cmpeq_epi8(bytes, _mm_set1_epi8(c)); };
  // The bytes up to 0x1f are those that an unsigned minimum with 0x1f leaves as they are.
  const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1f)), bytes);
  const __m128i separators = _mm_or_si128(_mm_or_si128(equal('/'), equal('?')), equal('\\'));
  const __m128i others =
      _mm_or_si128(_mm_or_si128(_mm_or_si128(equal('%'), equal(';')), equal(0x7f)), control);
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(separators, others)));
#else
  return find_special(at, block_size);
#endif
}

// "." or "..", also with either dot percent-encoded: `segment` is 1 to 6 bytes with valid
// encoding.
inline bool is_dot_segment(std::string_view segment) noexcept {
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

// What `%` at `at` stands for: PathError::none for a valid escape of an ordinary byte.
inline PathError check_escape(std::string_view path, std::size_t at) noexcept {
  if (at + 2 >= path.size()) return PathError::bad_percent_encoding;
  const int high = hex_value(path[at + 1]);
  const int low = hex_value(path[at + 2]);
  if (high < 0 || low < 0) return PathError::bad_percent_encoding;
  const int value = high * 16 + low;
  if (value == 0) return PathError::nul_byte;
  if (value == '/' || value == '\\') return PathError::encoded_separator;
  return PathError::none;
}

// The error for a special byte (see special_bytes) that is neither `/`, `%` nor `?`.
inline PathError raw_byte_error(char c) noexcept {
  if (c == '\0') return PathError::nul_byte;
  if (c == '\\') return PathError::encoded_separator;
  if (c == ';') return PathError::path_parameters;
  return PathError::control_character;
}

// Cuts `path` into segments in `out.begin`/`out.end`, one special byte after the other,
// so that the first problem from the left is the one reported. Fills `out.size`,
// `out.encoded_mask` and `out.path` only on success.
inline PathError split(std::string_view path, PathSegments& out) noexcept {
  if (path.empty() || path.front() != '/') return PathError::not_absolute;
  const char* const data = path.data();
  const std::size_t length = path.size();
  if (length > UINT32_MAX) return PathError::too_long;  // PathSegments keeps 32-bit offsets
  std::size_t count = 0;
  std::uint64_t encoded_mask = 0;
  std::size_t start = 1;  // of the current segment
  // Ends the current segment at `end` (a `/`, the `?` or the end of the path).
  const auto close = [&](std::size_t end) noexcept {
    if (end == start) return PathError::empty_segment;
    const char first = data[start];
    if ((first == '.' || first == '%') && end - start <= 6 &&
        is_dot_segment(std::string_view(data + start, end - start))) {
      return PathError::dot_segment;
    }
    if (count == max_path_segments) return PathError::too_many_segments;
    out.begin[count] = static_cast<std::uint32_t>(start);
    out.end[count] = static_cast<std::uint32_t>(end);
    ++count;
    return PathError::none;
  };
  const auto accept = [&](std::size_t end) noexcept {
    out.size = count;
    out.encoded_mask = encoded_mask;
    out.path = std::string_view(data, end);
    return PathError::none;
  };
  // The special bytes of the block at `base`: bit i for byte base + i.
  std::size_t base = 0;
  unsigned marks = length >= block_size ? find_special_in_block(data) : find_special(data, length);
  marks &= ~1U;  // not the leading `/`
  while (true) {
    while (marks != 0) {
      const std::size_t at = base + static_cast<unsigned>(std::countr_zero(marks));
      marks &= marks - 1;
      const char c = data[at];
      if (c == '/') {
        if (const PathError error = close(at); error != PathError::none) return error;
        start = at + 1;
      } else if (c == '%') {
        if (const PathError error = check_escape(path, at); error != PathError::none) {
          return error;
        }
        // An escape in a 65th segment: that segment is refused when it ends.
        if (count < max_path_segments) encoded_mask |= std::uint64_t{1} << count;
      } else if (c == '?') {
        if (at == 1) return accept(1);  // the root, with a query
        if (const PathError error = close(at); error != PathError::none) return error;
        return accept(at);
      } else {
        return raw_byte_error(c);
      }
    }
    base += block_size;
    if (base >= length) break;
    if (length - base >= block_size) {
      marks = find_special_in_block(data + base);
    } else {
      // The last 16 bytes of the path, without the marks of those already looked at.
      const std::size_t last = length - block_size;
      marks = find_special_in_block(data + last) >> (base - last);
    }
  }
  if (length == 1) return accept(1);  // the root
  if (const PathError error = close(length); error != PathError::none) return error;
  return accept(length);
}

}  // namespace scopegate::path_scan
