#include "server/store/sqlite_pool.hpp"

#include <sqlite3.h>

namespace scopegate::server::sqlite {

namespace {

// The calling thread's read scope (Store::begin_read_scope): which pool it belongs to,
// the connection it holds, and how deeply scopes are nested.
struct ThreadScope {
  const SqlitePool* pool = nullptr;
  std::unique_ptr<Conn> db;                 // taken at the scope's first read
  std::optional<CommitWatch::Token> start;  // the watch's token just before that read
  int depth = 0;
};
thread_local ThreadScope t_scope;

}  // namespace

StoreError to_error(const SQLite::Exception& error) {
  const int code = error.getExtendedErrorCode();
  const bool conflict = code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY;
  const int primary = code & 0xff;
  const bool busy = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  return StoreError{conflict ? StoreError::Kind::conflict
                    : busy   ? StoreError::Kind::unavailable
                             : StoreError::Kind::failure,
                    error.what()};
}

Conn::Conn(const std::string& path, std::chrono::milliseconds busy_timeout)
    : m_db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
           static_cast<int>(busy_timeout.count())) {
  m_db.exec("PRAGMA journal_mode=WAL");
  // FULL: a commit is on disk before the answer goes out, also across a power loss or an
  // operating-system crash (NORMAL keeps it across a process crash only).
  m_db.exec("PRAGMA synchronous=FULL");
  m_db.exec("PRAGMA foreign_keys=ON");
}

SQLite::Statement& Conn::prepare(const std::string& sql) {
  auto found = m_statements.find(sql);
  if (found == m_statements.end()) {
    found = m_statements.emplace(sql, std::make_unique<SQLite::Statement>(m_db, sql)).first;
  }
  auto& statement = *found->second;
  statement.reset();
  statement.clearBindings();
  m_used.push_back(&statement);
  return statement;
}

void Conn::finish_statements() noexcept {
  for (auto* statement : m_used) {
    try {
      statement->reset();
    } catch (const SQLite::Exception&) {
      // reset() reports the statement's last error again; it is reset regardless
    }
  }
  m_used.clear();
}

WriteTransaction::WriteTransaction(Conn& db) : m_db(db) {
  m_db.finish_statements();
  m_db.exec("BEGIN IMMEDIATE");
}

WriteTransaction::~WriteTransaction() {
  if (!m_done) {
    m_db.finish_statements();
    try {
      m_db.exec("ROLLBACK");
    } catch (const SQLite::Exception&) {
      // the connection already rolled back (e.g. after SQLITE_FULL)
    }
  }
}

void WriteTransaction::commit() {
  m_db.finish_statements();
  m_db.exec("COMMIT");
  m_done = true;
}

SqlitePool::Lease SqlitePool::acquire() {
  if (t_scope.pool == this) {
    if (!t_scope.db) {
      t_scope.start = token();
      t_scope.db = take();
    }
    return Lease(*t_scope.db, t_scope.start);
  }
  const auto start = token();
  return Lease(*this, take(), start);
}

std::unique_ptr<Conn> SqlitePool::take() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_connections.empty()) {
      auto db = std::move(m_connections.back());
      m_connections.pop_back();
      return db;
    }
  }
  return std::make_unique<Conn>(m_path, m_busy_timeout);
}

void SqlitePool::release(std::unique_ptr<Conn> db) {
  if (!db) return;
  std::lock_guard lock(m_mutex);
  m_connections.push_back(std::move(db));
}

void SqlitePool::begin_read_scope() {
  if (t_scope.pool == this) {
    ++t_scope.depth;
    return;
  }
  if (t_scope.pool != nullptr) return;  // another store's scope: this one runs unscoped
  t_scope.pool = this;
  t_scope.depth = 1;
}

void SqlitePool::end_read_scope() noexcept {
  if (t_scope.pool != this || --t_scope.depth > 0) return;
  if (t_scope.db) {
    t_scope.db->finish_statements();
    release(std::move(t_scope.db));
  }
  t_scope.start.reset();
  t_scope.pool = nullptr;
}

}  // namespace scopegate::server::sqlite
