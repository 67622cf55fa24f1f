// What lets SqliteStore serve authenticated keys and sessions from memory without ever
// serving a stale row. Every change to anything such a row holds alters the credential
// or the session epoch in the changing transaction, whoever writes (migrations 3 and 5).
// EpochCache (epoch_cache.hpp) keeps rows tagged with the epoch they were read at, and answers only
// for the epoch the caller reads now. EpochTracker knows that epoch: read in the caller's
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
#include "server/store/epoch_cache.hpp"
#include "server/store/sqlite_pool.hpp"

namespace scopegate::server::sqlite {

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
