// ScopeSet: a set of scope ids as a bitset sized to the policy's scope count.
// Membership and intersection tests never allocate. A value type; not synchronized.
#pragma once

#include <cstdint>
#include <vector>

#include "scopegate/export.hpp"

namespace scopegate {

using ScopeId = std::uint32_t;

class SCOPEGATE_EXPORT ScopeSet {
 public:
  ScopeSet() = default;
  // An empty set able to hold ids [0, capacity).
  explicit ScopeSet(std::size_t capacity);

  void insert(ScopeId id);
  void insert_all(const ScopeSet& other);
  bool contains(ScopeId id) const noexcept {
    const std::size_t word = id / 64;
    return word < m_words.size() && (m_words[word] >> (id % 64) & 1U) != 0;
  }
  bool intersects(const ScopeSet& other) const noexcept;
  bool empty() const noexcept;
  std::size_t count() const noexcept;
  // The ids in ascending order.
  std::vector<ScopeId> ids() const;

  friend bool operator==(const ScopeSet&, const ScopeSet&) = default;

 private:
  std::vector<std::uint64_t> m_words;
};

}  // namespace scopegate
