// The connections behind PostgresStore, through libpq. PgConn is one connection with the
// statements it has prepared (each SQL text once per connection, then executed by name);
// its exec() sends text parameters (nullopt is NULL) and returns a PgResult or throws
// PgError. PgTransaction is BEGIN ... COMMIT, rolled back unless committed. PgPool lends
// connections, opening one when none is idle and dropping any that broke, was left in a
// transaction, did not answer in time, or was closed by the server while idle (a restart); every
// statement waits for its answer at most the pool's timeout, so that a database that hangs (a
// stopped server, a lost network) fails requests instead of holding the server's threads; run()
// turns every PgError into a
// StoreError, so nothing above this file sees one. The password of the connection URI is held by
// libpq only, and never appears in an error this file makes. PgPool is thread-safe; a PgConn
// belongs to one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/store/store.hpp"

namespace scopegate::server::postgres {

// What libpq reported: its SQLSTATE (empty for a connection problem) and message.
class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), m_sqlstate(std::move(sqlstate)) {}
  const std::string& sqlstate() const noexcept { return m_sqlstate; }

 private:
  std::string m_sqlstate;
};

// A unique violation (SQLSTATE 23505) is a conflict; a lost connection, no answer in time
// or a transient server state is unavailable; anything else a failure.
StoreError to_error(const PgError& error);

using Param = std::optional<std::string>;

// One row of a result, read as text: every column scopegate stores is TEXT or an integer.
class Row {
 public:
  Row(const PGresult* result, int row) : m_result(result), m_row(row) {}
  bool is_null(int column) const { return PQgetisnull(m_result, m_row, column) != 0; }
  std::string text(int column) const { return PQgetvalue(m_result, m_row, column); }
  std::optional<std::string> optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return text(column);
  }
  std::int64_t integer(int column) const;
  std::optional<std::int64_t> optional_integer(int column) const {
    if (is_null(column)) return std::nullopt;
    return integer(column);
  }

 private:
  const PGresult* m_result;
  int m_row;
};

class PgResult {
 public:
  explicit PgResult(PGresult* result) : m_result(result, &PQclear) {}
  int size() const { return PQntuples(m_result.get()); }
  bool empty() const { return size() == 0; }
  Row row(int index) const { return Row(m_result.get(), index); }
  // Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t affected() const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> m_result;
};

class PgConn {
 public:
  // Connects, or throws PgError. `application_name`, when given, overrides the URI's: how
  // pg_stat_activity names a connection with a job of its own (a listener, a lock holder).
  // `timeout` bounds the wait for each answer (0: no bound) and, unless the URI sets
  // connect_timeout, the connection's setup.
  PgConn(const std::string& url, std::chrono::milliseconds timeout,
         const char* application_name = nullptr);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Runs `sql` (prepared on this connection at its first use) with `params` as $1, $2...
  PgResult exec(const std::string& sql, const std::vector<Param>& params = {});
  // Runs one or more statements without parameters, unprepared (DDL, BEGIN, COMMIT).
  void exec_plain(const std::string& sql);

  // False when the server has closed it meanwhile (a restart, a terminated backend):
  // checked without a round trip, so that a request never fails on a dead idle connection.
  bool still_connected();

  bool healthy() const {
    return !m_timed_out && PQstatus(m_conn) == CONNECTION_OK &&
           PQtransactionStatus(m_conn) == PQTRANS_IDLE;
  }
  // True once a statement got no answer in time: the connection is not used again (its
  // statement may still be running), not even for a ROLLBACK.
  bool timed_out() const { return m_timed_out; }
  // The bound on each answer from now on (0: none), e.g. lifted for migrations, which may
  // wait for another instance's.
  void set_timeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }
  PGconn* raw() const { return m_conn; }

 private:
  // The result of the statement just sent (the last one, as PQexec returns), waiting at
  // most m_timeout for it; throws PgError when it does not come in time.
  PGresult* answer();

  PGconn* m_conn;
  std::chrono::milliseconds m_timeout;
  bool m_timed_out = false;
  std::unordered_map<std::string, std::string> m_prepared;  // SQL text -> statement name
};

class PgTransaction {
 public:
  explicit PgTransaction(PgConn& db) : m_db(db) { m_db.exec_plain("BEGIN"); }
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  // A COMMIT that gets no answer in time throws a failure, not `unavailable`: whether it
  // committed is unknown.
  void commit();

 private:
  PgConn& m_db;
  bool m_done = false;
};

class PgPool {
 public:
  PgPool(std::string url, std::chrono::milliseconds timeout)
      : m_url(std::move(url)), m_timeout(timeout) {}
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  class Lease {
   public:
    Lease(PgPool& pool, std::unique_ptr<PgConn> db) : m_pool(pool), m_db(std::move(db)) {}
    ~Lease() { m_pool.release(std::move(m_db)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    PgConn& operator*() { return *m_db; }

   private:
    PgPool& m_pool;
    std::unique_ptr<PgConn> m_db;
  };

  Lease acquire();

  // Runs `body` on a pooled connection, turning any PgError into a StoreError.
  template <typename T, typename Body>
  StoreResult<T> run(Body&& body) {
    try {
      auto lease = acquire();
      return StoreResult<T>(body(*lease));
    } catch (const PgError& error) {
      return unexpected(to_error(error));
    }
  }

 private:
  void release(std::unique_ptr<PgConn> db);

  std::string m_url;
  std::chrono::milliseconds m_timeout;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<PgConn>> m_idle;
};

}  // namespace scopegate::server::postgres
