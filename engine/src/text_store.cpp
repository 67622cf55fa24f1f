#include "text_store.hpp"

#include <algorithm>
#include <string>

namespace scopegate {

std::string_view TextStore::add(std::string_view text) {
  if (text.size() > m_left) {
    // Chunks double up to max_chunk, so a small policy holds little unused room.
    const std::size_t size = std::max(text.size(), std::clamp(m_reserved, min_chunk, max_chunk));
    m_chunks.push_back(std::make_unique<char[]>(size));
    m_next = m_chunks.back().get();
    m_left = size;
    m_reserved += size;
  }
  char* stored = m_next;
  std::char_traits<char>::copy(stored, text.data(), text.size());
  m_next += text.size();
  m_left -= text.size();
  return {stored, text.size()};
}

}  // namespace scopegate
