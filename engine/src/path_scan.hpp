// The path scanner behind split_path(), inlined into Policy::decide() as well. Private
// to engine/.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "percent.hpp"
#include "scopegate/path.hpp"

namespace scopegate::path_scan {

// split_path() reads the path 16 bytes at a time and stops only at the bytes that matter:
// `/`, `%`, `?`, `\`, and control bytes (below 0x20, 0x7f); bytes from 0x80 up are plain,
// as are all others. The 16 bytes are a GCC vector (plain SSE2 on x86-64, NEON on ARM,
// emulated elsewhere).
using Bytes = unsigned char __attribute__((vector_size(16)));
using Word = std::uint64_t;
constexpr std::size_t block_size = sizeof(Bytes);
constexpr std::size_t word_size = sizeof(Word);

// The 8 bytes of `word`, each 0 or 1, as 8 bits: byte i, counted from the lowest, to bit
// i. Each product term of the multiplication is a distinct power of two, so none carries.
constexpr unsigned gather_bits(Word word) noexcept {
  return static_cast<unsigned>((word * Word{0x0102040810204080}) >> 56);
}

// Bit i set for every special byte at lane i of `bytes`.
inline unsigned special_bytes(Bytes bytes) noexcept {
  // `/` (0x2f) and `?` (0x3f) differ in bit 4 only: one comparison finds both.
  const auto special =
      ((bytes | 0x10) == '?') | (bytes == '%') | (bytes == '\\') | (bytes == 0x7f) | (bytes < 0x20);
#if defined(__SSE2__)
  // One instruction (pmovmskb) gathers the top bit of each lane; a GCC builtin, so no
  // intrinsics header.
  using Chars = char __attribute__((vector_size(16)));
  return static_cast<unsigned>(__builtin_ia32_pmovmskb128(reinterpret_cast<Chars>(special)));
#else
  const auto ones = special & 1;  // a comparison gives -1 for true
  std::array<Word, 2> words;
  std::memcpy(words.data(), &ones, sizeof words);
  if constexpr (std::endian::native == std::endian::big) {
    words[0] = __builtin_bswap64(words[0]);
    words[1] = __builtin_bswap64(words[1]);
  }
  return gather_bits(words[0]) | gather_bits(words[1]) << 8;
#endif
}

// The 16 bytes at `at`.
inline Bytes load_block(const char* at) noexcept {
  Bytes bytes;
  std::memcpy(&bytes, at, block_size);
  return bytes;
}

// A path shorter than a block as a block; lanes from `path.size()` on hold any bytes
// (the caller drops their marks). Built in registers from two words: writing the bytes to
// memory and loading them as one block would stall on store forwarding.
inline Bytes load_short(std::string_view path) noexcept {
  const char* const data = path.data();
  const std::size_t length = path.size();
  Word low = 0;
  Word high = 0;
  if (length >= word_size) {
    std::memcpy(&low, data, word_size);
    // The last 8 bytes, moved down to start at byte 8 of the path.
    std::memcpy(&high, data + length - word_size, word_size);
    const std::size_t overlap = 8 * (2 * word_size - length);  // bits, 8..64
    if constexpr (std::endian::native == std::endian::little) {
      high = overlap == 64 ? 0 : high >> overlap;
    } else {
      high = overlap == 64 ? 0 : high << overlap;
    }
  } else {
    for (std::size_t i = 0; i < length; ++i) {
      const Word byte = static_cast<unsigned char>(data[i]);
      if constexpr (std::endian::native == std::endian::little) {
        low |= byte << (8 * i);
      } else {
        low |= byte << (8 * (word_size - 1 - i));
      }
    }
  }
  using Words = Word __attribute__((vector_size(16)));
  return reinterpret_cast<Bytes>(Words{low, high});
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

// The error for a raw byte that is neither `/`, `%` nor `?` but marked by special_bytes().
inline PathError raw_byte_error(char c) noexcept {
  if (c == '\0') return PathError::nul_byte;
  if (c == '\\') return PathError::encoded_separator;
  return PathError::control_character;
}

// Cuts `path` into segments in `out.begin`/`out.end`, one special byte after the other,
// so that the first problem from the left is the one reported. Fills `out.size`,
// `out.encoded_mask` and `out.path` only on success.
[[gnu::always_inline]] inline PathError split(std::string_view path, PathSegments& out) noexcept {
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
  unsigned marks = length >= block_size ? special_bytes(load_block(data))
                                        : special_bytes(load_short(path)) & ((1U << length) - 1);
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
      marks = special_bytes(load_block(data + base));
    } else {
      // The last 16 bytes of the path, without the marks of those already looked at.
      const std::size_t last = length - block_size;
      marks = special_bytes(load_block(data + last)) >> (base - last);
    }
  }
  if (length == 1) return accept(1);  // the root
  if (const PathError error = close(length); error != PathError::none) return error;
  return accept(length);
}

}  // namespace scopegate::path_scan
