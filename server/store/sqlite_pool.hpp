// The connections behind SqliteStore. Conn is one SQLite connection (WAL, foreign keys on)
// with its prepared statements; WriteTransaction is BEGIN IMMEDIATE ... COMMIT on one.
// SqlitePool lends connections (WAL lets readers run beside the one writer): a Lease for
// one call, returned to the pool with no read snapshot left open; inside a read scope
// (Store::begin_read_scope), the connection the scope took at its first read, so that a
// request's reads share one read transaction. Each lease carries the CommitWatch token read
// just before its connection's first statement (see EpochTracker). run() turns every
// SQLite::Exception into a StoreError: nothing above this file sees one.
// The pool owns its connections and the CommitWatch; SqlitePool is thread-safe. A Conn, a
// Lease and a WriteTransaction belong to one thread at a time.
#pragma once

#include <chrono>

#include <SQLiteCpp/SQLiteCpp.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "server/store/commit_watch.hpp"
#include "server/store/store.hpp"

namespace scopegate::server::sqlite {

// A unique or primary-key violation is a conflict; the database busy or locked past the
// timeout is unavailable; anything else a failure.
StoreError to_error(const SQLite::Exception& error);

// One connection and its prepared statements, reused across requests.
class Conn {
 public:
  // `busy_timeout`: how long a statement waits for another connection's lock.
  Conn(const std::string& path, std::chrono::milliseconds busy_timeout);

  void exec(const std::string& sql) { m_db.exec(sql); }

  // The statement for `sql`, compiled once per connection, reset and unbound.
  SQLite::Statement& prepare(const std::string& sql);

  // Resets every statement used since the last call, so that none keeps a read
  // snapshot open (a stale snapshot would hide a revocation from the next request).
  void finish_statements() noexcept;

 private:
  SQLite::Database m_db;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> m_statements;
  std::vector<SQLite::Statement*> m_used;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() ran. A read transaction left
// open by a read scope ends first: a write must start from the latest snapshot.
class WriteTransaction {
 public:
  explicit WriteTransaction(Conn& db);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit();

 private:
  Conn& m_db;
  bool m_done = false;
};

class SqlitePool {
 public:
  SqlitePool(std::string path, std::chrono::milliseconds busy_timeout)
      : m_path(std::move(path)), m_busy_timeout(busy_timeout) {}
  SqlitePool(const SqlitePool&) = delete;
  SqlitePool& operator=(const SqlitePool&) = delete;

  // A pooled connection, returned to the pool (its statements reset, so that it keeps no
  // read snapshot) when the lease ends; or the connection of the thread's read scope,
  // which stays as it is until the scope ends. start() is the CommitWatch token read just
  // before the connection's first statement (see EpochTracker::read()).
  class Lease {
   public:
    Lease(SqlitePool& pool, std::unique_ptr<Conn> db, std::optional<CommitWatch::Token> start)
        : m_pool(&pool), m_owned(std::move(db)), m_db(m_owned.get()), m_start(start) {}
    Lease(Conn& scoped, std::optional<CommitWatch::Token> start) : m_db(&scoped), m_start(start) {}
    ~Lease() {
      if (!m_owned) return;
      m_owned->finish_statements();
      m_pool->release(std::move(m_owned));
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Conn& operator*() { return *m_db; }
    const std::optional<CommitWatch::Token>& start() const { return m_start; }

   private:
    SqlitePool* m_pool = nullptr;
    std::unique_ptr<Conn> m_owned;
    Conn* m_db;
    std::optional<CommitWatch::Token> m_start;
  };

  Lease acquire();

  // The connection is taken at the scope's first read, so that a request served from the
  // caches opens no transaction at all.
  void begin_read_scope();
  void end_read_scope() noexcept;

  void enable_commit_watch(std::unique_ptr<CommitWatch> watch) { m_watch = std::move(watch); }
  bool has_commit_watch() const noexcept { return m_watch != nullptr; }
  // The CommitWatch's token now; nullopt without a watch or while a commit is in flight.
  std::optional<CommitWatch::Token> token() const noexcept {
    return m_watch ? m_watch->read() : std::nullopt;
  }

  // Runs `body` on a pooled connection, turning any SQLite exception into a StoreError.
  // `body` takes the Conn, and the Lease too when it needs its start token.
  template <typename T, typename Body>
  StoreResult<T> run(Body&& body) {
    try {
      auto lease = acquire();
      if constexpr (std::is_invocable_v<Body, Conn&, const Lease&>) {
        return StoreResult<T>(body(*lease, lease));
      } else {
        return StoreResult<T>(body(*lease));
      }
    } catch (const SQLite::Exception& error) {
      return unexpected(to_error(error));
    }
  }

 private:
  std::unique_ptr<Conn> take();
  void release(std::unique_ptr<Conn> db);

  std::string m_path;
  std::chrono::milliseconds m_busy_timeout;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<Conn>> m_connections;
  std::unique_ptr<CommitWatch> m_watch;
};

}  // namespace scopegate::server::sqlite
