// What lets SqliteStore serve authenticated keys and sessions from memory without ever
// serving a stale row. Every change to anything such a row holds alters the credential
// or the session epoch in the changing transaction, whoever writes (migrations 3 and 5).
// EpochCache keeps rows tagged with the epoch they were read at, and answers only for the
// epoch the caller reads now. EpochTracker knows that epoch: read in the caller's
// transaction, or, while the CommitWatch shows that nothing at all has been committed
// since the epochs were last confirmed, without a transaction (ConfirmedEpochs).
// Each cache owns its rows and hands them out shared and immutable; the tracker borrows
// the pool it reads the watch through. All three are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "server/store/commit_watch.hpp"
#include "server/store/sqlite_pool.hpp"

namespace scopegate::server::sqlite {

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

// The two epochs, read together in one statement. An epoch whose row is missing (a hand
// edit, a partial restore) is nullopt: nothing is cached behind it, since no trigger can
// change it any more.
struct Epochs {
  std::optional<std::int64_t> credential;
  std::optional<std::int64_t> session;
};

// The epochs last read in a transaction whose CommitWatch token is known: while the token
// is still that one, nothing has been committed since, so the epochs are still those and
// a request needs no transaction to learn them.
class ConfirmedEpochs {
 public:
  std::optional<Epochs> at(const CommitWatch::Token& token);
  void confirm(const CommitWatch::Token& token, Epochs epochs);

 private:
  std::mutex m_mutex;
  std::optional<CommitWatch::Token> m_token;
  Epochs m_epochs;
};

class EpochTracker {
 public:
  explicit EpochTracker(const SqlitePool& pool) : m_pool(pool) {}

  // The epochs as they are now, when that is known without a transaction.
  std::optional<Epochs> known();

  // The epochs, read through `lease`'s connection in one statement that stays active (in
  // a read scope, the request's later reads share its transaction). When the token read
  // before the lease's first statement is still the token now, nothing was committed in
  // between: the transaction saw exactly that state, and the epochs are confirmed for it.
  Epochs read(Conn& db, const SqlitePool::Lease& lease);

 private:
  const SqlitePool& m_pool;
  ConfirmedEpochs m_confirmed;
};

}  // namespace scopegate::server::sqlite
