// Rows PostgresStore serves from memory: authenticated keys and sessions by key, each
// tagged with the epoch (credential or session, migrations 3 and 5) read in the same
// statement as the row. find() answers only for the epoch the caller has just read from
// the database: any committed change to what such a row holds gives its epoch a new value
// in the changing transaction, whichever instance wrote, so an equal epoch means the row
// is current. Bounded: cleared when full (only rows that exist get an entry). Owns its
// rows and hands them out shared and immutable; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace scopegate::server::postgres {

template <typename Value>
class EpochRows {
 public:
  explicit EpochRows(std::size_t capacity) : m_capacity(capacity) {}

  std::shared_ptr<const Value> find(const std::string& key, std::optional<std::int64_t> epoch) {
    if (!epoch) return nullptr;
    std::shared_ptr<const Entry> entry;
    {
      std::lock_guard lock(m_mutex);
      const auto found = m_entries.find(key);
      if (found == m_entries.end()) return nullptr;
      entry = found->second;
    }
    if (entry->epoch != *epoch) return nullptr;
    return {entry, &entry->value};
  }

  // The value, shared; kept only when its epoch is known (a missing epoch row: no cache).
  std::shared_ptr<const Value> put(const std::string& key, std::optional<std::int64_t> epoch,
                                   Value value) {
    if (!epoch) return std::make_shared<const Value>(std::move(value));
    auto entry = std::make_shared<const Entry>(Entry{*epoch, std::move(value)});
    std::shared_ptr<const Value> shared(entry, &entry->value);
    std::lock_guard lock(m_mutex);
    if (m_entries.size() >= m_capacity && !m_entries.contains(key)) m_entries.clear();
    m_entries.insert_or_assign(key, std::move(entry));
    return shared;
  }

 private:
  struct Entry {
    std::int64_t epoch;
    Value value;
  };
  std::size_t m_capacity;
  std::mutex m_mutex;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> m_entries;
};

}  // namespace scopegate::server::postgres
