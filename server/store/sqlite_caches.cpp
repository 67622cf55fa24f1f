#include "server/store/sqlite_caches.hpp"

#include "server/store/sqlite_rows.hpp"

namespace scopegate::server::sqlite {

std::optional<Epochs> ConfirmedEpochs::at(const CommitWatch::Token& token) {
  std::lock_guard lock(m_mutex);
  if (!m_token || *m_token != token) return std::nullopt;
  return m_epochs;
}

void ConfirmedEpochs::confirm(const CommitWatch::Token& token, Epochs epochs) {
  std::lock_guard lock(m_mutex);
  m_token = token;
  m_epochs = epochs;
}

std::optional<Epochs> EpochTracker::known() {
  const auto now = m_pool.token();
  return now ? m_confirmed.at(*now) : std::nullopt;
}

Epochs EpochTracker::read(Conn& db, const SqlitePool::Lease& lease) {
  static const std::string sql =
      "SELECT (SELECT epoch FROM credential_epoch WHERE id = 1), "
      "(SELECT epoch FROM session_epoch WHERE id = 1)";
  SQLite::Statement& s = db.prepare(sql);
  Epochs epochs;
  if (s.executeStep()) epochs = {optional_integer(s, 0), optional_integer(s, 1)};
  if (lease.start()) {
    if (const auto now = m_pool.token(); now && *now == *lease.start()) {
      m_confirmed.confirm(*now, epochs);
    }
  }
  return epochs;
}

}  // namespace scopegate::server::sqlite
