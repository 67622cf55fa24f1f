#include "server/store/postgres_pool.hpp"

#include <fmt/format.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace scopegate::server::postgres {

namespace {

constexpr std::string_view unique_violation = "23505";

// libpq's messages end with a newline; ours are one line.
std::string trimmed_message(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Throws the result's error unless it is one of the `ok` statuses.
PGresult* checked(PGconn* conn, PGresult* result, ExecStatusType ok) {
  const auto status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == ok || (ok == PGRES_TUPLES_OK && status == PGRES_COMMAND_OK)) return result;
  std::string sqlstate;
  std::string message;
  if (result != nullptr) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    sqlstate = state != nullptr ? state : "";
    message = trimmed_message(PQresultErrorMessage(result));
    PQclear(result);
  }
  if (message.empty()) message = trimmed_message(PQerrorMessage(conn));
  throw PgError(std::move(sqlstate), "PostgreSQL: " + message);
}

}  // namespace

StoreError to_error(const PgError& error) {
  const std::string& state = error.sqlstate();
  // Worth retrying: no connection or no answer in time (no SQLSTATE), a connection
  // exception (class 08), the server shutting down (57P0x), a lock not available (55P03),
  // a statement cancelled (57014), a serialization failure or deadlock (40001, 40P01).
  const bool unavailable = state.empty() || state.rfind("08", 0) == 0 ||
                           state.rfind("57P0", 0) == 0 || state == "55P03" || state == "57014" ||
                           state == "40001" || state == "40P01";
  return StoreError{state == unique_violation ? StoreError::Kind::conflict
                    : unavailable             ? StoreError::Kind::unavailable
                                              : StoreError::Kind::failure,
                    error.what()};
}

std::int64_t Row::integer(int column) const {
  const char* text = PQgetvalue(m_result, m_row, column);
  const char* end = text + PQgetlength(m_result, m_row, column);
  std::int64_t value = 0;
  const auto [stop, error] = std::from_chars(text, end, value);
  if (error != std::errc() || stop != end)
    throw PgError("", fmt::format("PostgreSQL: column {} is not an integer", column + 1));
  return value;
}

std::int64_t PgResult::affected() const {
  const char* text = PQcmdTuples(m_result.get());
  std::int64_t value = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), value);
  return value;
}

namespace {

// Our defaults, then the URI expanded into parameters (expand_dbname), which may override
// them, then `application_name` over the URI's. The defaults bound the setup (libpq's
// connect_timeout counts whole seconds, at least 2) and have TCP notice a peer that is
// gone (keepalives; tcp_user_timeout: data left unacknowledged that long ends it).
PGconn* connect(const std::string& url, std::chrono::milliseconds timeout,
                const char* application_name) {
  const auto seconds = std::to_string(
      timeout.count() == 0 ? 0 : std::max<long long>(2, (timeout.count() + 999) / 1000));
  const auto unacknowledged = std::to_string(std::max<long long>(timeout.count(), 10000));
  std::vector<const char*> keywords = {
      "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
      "keepalives_count", "tcp_user_timeout", "dbname"};
  std::vector<const char*> values = {seconds.c_str(),        "1",        "30", "10", "3",
                                     unacknowledged.c_str(), url.c_str()};
  if (application_name != nullptr) {
    keywords.push_back("application_name");
    values.push_back(application_name);
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  return PQconnectdbParams(keywords.data(), values.data(), 1);
}

}  // namespace

PgConn::PgConn(const std::string& url, std::chrono::milliseconds timeout,
               const char* application_name)
    : m_conn(connect(url, timeout, application_name)), m_timeout(timeout) {
  if (m_conn == nullptr) throw PgError("", "PostgreSQL: out of memory while connecting");
  if (PQstatus(m_conn) != CONNECTION_OK) {
    auto message = "PostgreSQL: " + trimmed_message(PQerrorMessage(m_conn));
    PQfinish(m_conn);
    throw PgError("", message);
  }
  // Notices (such as CREATE TABLE IF NOT EXISTS finding the table) are not errors: libpq
  // would print them on stderr.
  PQsetNoticeProcessor(
      m_conn, [](void*, const char*) {}, nullptr);
  // Text in and out as UTF-8, whatever the server's default.
  if (PQsetClientEncoding(m_conn, "UTF8") != 0) {
    auto message = "PostgreSQL: " + trimmed_message(PQerrorMessage(m_conn));
    PQfinish(m_conn);
    throw PgError("", message);
  }
}

PgConn::~PgConn() { PQfinish(m_conn); }

PGresult* PgConn::answer() {
  if (m_timed_out) throw PgError("", "PostgreSQL: the connection timed out before");
  const auto deadline = std::chrono::steady_clock::now() + m_timeout;
  PGresult* last = nullptr;
  while (true) {
    while (PQisBusy(m_conn) != 0) {
      int wait = -1;
      if (m_timeout.count() > 0) {
        wait =
            static_cast<int>(std::max<long long>(0, std::chrono::ceil<std::chrono::milliseconds>(
                                                        deadline - std::chrono::steady_clock::now())
                                                        .count()));
      }
      pollfd socket{PQsocket(m_conn), POLLIN, 0};
      const int ready = wait == 0 ? 0 : ::poll(&socket, 1, wait);
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        m_timed_out = true;
        if (last != nullptr) PQclear(last);
        throw PgError("", fmt::format("PostgreSQL: no answer within {} ms", m_timeout.count()));
      }
      if (PQconsumeInput(m_conn) == 0) break;  // PQgetResult reports the error
    }
    PGresult* result = PQgetResult(m_conn);
    if (result == nullptr) return last;
    if (last != nullptr) PQclear(last);
    last = result;
  }
}

PgResult PgConn::exec(const std::string& sql, const std::vector<Param>& params) {
  auto found = m_prepared.find(sql);
  if (found == m_prepared.end()) {
    auto name = fmt::format("s{}", m_prepared.size());
    if (PQsendPrepare(m_conn, name.c_str(), sql.c_str(), 0, nullptr) == 0) {
      checked(m_conn, nullptr, PGRES_COMMAND_OK);
    }
    PQclear(checked(m_conn, answer(), PGRES_COMMAND_OK));
    found = m_prepared.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  if (PQsendQueryPrepared(m_conn, found->second.c_str(), static_cast<int>(values.size()),
                          values.data(), nullptr, nullptr, 0) == 0) {
    checked(m_conn, nullptr, PGRES_TUPLES_OK);
  }
  return PgResult(checked(m_conn, answer(), PGRES_TUPLES_OK));
}

void PgConn::exec_plain(const std::string& sql) {
  if (PQsendQuery(m_conn, sql.c_str()) == 0) checked(m_conn, nullptr, PGRES_TUPLES_OK);
  PQclear(checked(m_conn, answer(), PGRES_TUPLES_OK));
}

PgTransaction::~PgTransaction() {
  if (m_done || m_db.timed_out()) return;
  // Bounded like any statement; a failed ROLLBACK leaves the connection unhealthy (or
  // timed out), and the pool drops it.
  try {
    m_db.exec_plain("ROLLBACK");
  } catch (const PgError&) {
  }
}

void PgTransaction::commit() {
  try {
    m_db.exec_plain("COMMIT");
  } catch (const PgError& error) {
    // No answer to COMMIT: it may have committed. Not `unavailable` (retry): a client
    // that retried a creation could make it twice.
    if (!m_db.timed_out()) throw;
    throw PgError("XX000", std::string(error.what()) +
                               " to COMMIT: whether the change was committed is unknown");
  }
  m_done = true;
}

bool PgConn::still_connected() {
  // An idle connection (no LISTEN, no query in flight) has nothing to read unless the
  // server spoke on its own: the FATAL notice of a terminated backend (a restart,
  // pg_terminate_backend), or the end of the connection. Either way it is not used again.
  pollfd socket{PQsocket(m_conn), POLLIN, 0};
  return PQstatus(m_conn) == CONNECTION_OK && ::poll(&socket, 1, 0) == 0;
}

PgPool::Lease PgPool::acquire() {
  while (true) {
    std::unique_ptr<PgConn> db;
    {
      std::lock_guard lock(m_mutex);
      if (m_idle.empty()) break;
      db = std::move(m_idle.back());
      m_idle.pop_back();
    }
    if (db->still_connected()) return Lease(*this, std::move(db));
  }
  return Lease(*this, std::make_unique<PgConn>(m_url, m_timeout));
}

void PgPool::release(std::unique_ptr<PgConn> db) {
  if (!db || !db->healthy()) return;
  std::lock_guard lock(m_mutex);
  m_idle.push_back(std::move(db));
}

}  // namespace scopegate::server::postgres
