// EpochCache: rows a store serves from memory (authenticated keys and sessions), each
// tagged with the epoch it was read at: the credential epoch for keys, the session epoch
// for sessions. Any committed change to what such a row holds gives its epoch a new value
// in the changing transaction, whoever writes (migrations 3 and 5), so a row whose epoch
// equals the one the caller has just read is current. Shared by the SQLite and the
// PostgreSQL stores; each says how it reads the epoch. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace scopegate::server {

// Rows by key, each tagged with the epoch it was read at: the credential epoch for
// authenticated keys, the session epoch for sessions. find() answers only when the
// caller's current epoch, read in its own transaction, equals the entry's, so it never
// serves a row older than the database's. Bounded: cleared when full (only rows that
// exist get an entry, so unknown ids cannot fill it).
template <typename Value>
class EpochCache {
 public:
  explicit EpochCache(std::size_t capacity) : m_capacity(capacity) {}

  // The cached value (shared, immutable), or null.
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

  // The value, shared; kept for later only when its epoch is known.
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

}  // namespace scopegate::server
