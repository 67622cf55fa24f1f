#include "scopegate/scope_set.hpp"

#include <bit>

namespace scopegate {

ScopeSet::ScopeSet(std::size_t capacity) : m_words((capacity + 63) / 64, 0) {}

void ScopeSet::insert(ScopeId id) {
  const std::size_t word = id / 64;
  if (word >= m_words.size()) m_words.resize(word + 1, 0);
  m_words[word] |= std::uint64_t{1} << (id % 64);
}

void ScopeSet::insert_all(const ScopeSet& other) {
  if (other.m_words.size() > m_words.size()) m_words.resize(other.m_words.size(), 0);
  for (std::size_t i = 0; i < other.m_words.size(); ++i) m_words[i] |= other.m_words[i];
}

bool ScopeSet::intersects(const ScopeSet& other) const noexcept {
  const std::size_t n = std::min(m_words.size(), other.m_words.size());
  for (std::size_t i = 0; i < n; ++i) {
    if ((m_words[i] & other.m_words[i]) != 0) return true;
  }
  return false;
}

bool ScopeSet::empty() const noexcept {
  for (const auto word : m_words) {
    if (word != 0) return false;
  }
  return true;
}

std::size_t ScopeSet::count() const noexcept {
  std::size_t total = 0;
  for (const auto word : m_words) total += static_cast<std::size_t>(std::popcount(word));
  return total;
}

std::vector<ScopeId> ScopeSet::ids() const {
  std::vector<ScopeId> out;
  for (std::size_t i = 0; i < m_words.size(); ++i) {
    for (std::uint64_t word = m_words[i]; word != 0; word &= word - 1) {
      out.push_back(
          static_cast<ScopeId>(i * 64 + static_cast<std::size_t>(std::countr_zero(word))));
    }
  }
  return out;
}

}  // namespace scopegate
