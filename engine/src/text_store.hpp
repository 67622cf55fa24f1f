// TextStore: append-only storage for a compiled policy's text. A string added once keeps
// its address for the store's life, so views into it may be handed out. Private to
// engine/; single-threaded while a policy is built, read-only afterwards.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace scopegate {

class TextStore {
 public:
  std::string_view add(std::string_view text);
  std::size_t memory_usage() const noexcept {
    return m_reserved + m_chunks.capacity() * sizeof(m_chunks[0]);
  }

 private:
  static constexpr std::size_t min_chunk = 512;
  static constexpr std::size_t max_chunk = 16 * 1024;
  std::vector<std::unique_ptr<char[]>> m_chunks;
  std::size_t m_left = 0;  // free bytes in the last chunk
  char* m_next = nullptr;
  std::size_t m_reserved = 0;
};

}  // namespace scopegate
