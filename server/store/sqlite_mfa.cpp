#include "server/store/sqlite_mfa.hpp"

#include "server/store/sqlite_rows.hpp"

namespace scopegate::server::sqlite {

namespace {

// Every recovery code a user has is replaced at once: the old ones stop working.
void insert_recovery_codes(Conn& db, const std::string& user_id,
                           const std::vector<RecoveryCode>& codes, const std::string& at) {
  SQLite::Statement& drop = db.prepare("DELETE FROM mfa_recovery_codes WHERE user_id = ?");
  drop.bind(1, user_id);
  drop.exec();
  for (const auto& code : codes) {
    SQLite::Statement& s = db.prepare(
        "INSERT INTO mfa_recovery_codes (id, user_id, code_hash, used_at, created_at) "
        "VALUES (?, ?, ?, NULL, ?)");
    s.bind(1, code.id);
    s.bind(2, user_id);
    s.bind(3, code.code_hash);
    s.bind(4, at);
    s.exec();
  }
}

}  // namespace

StoreResult<UserMfa> find_user_mfa(SqlitePool& pool, const std::string& user_id) {
  return pool.run<UserMfa>([&](Conn& db) {
    UserMfa out;
    SQLite::Statement& s =
        db.prepare("SELECT mfa_enabled, mfa_secret, mfa_last_step FROM users WHERE id = ?");
    s.bind(1, user_id);
    if (!s.executeStep()) return out;
    out.enabled = s.getColumn(0).getInt() != 0;
    out.secret = column_text(s, 1);
    out.last_step = optional_integer(s, 2);
    SQLite::Statement& codes = db.prepare(
        "SELECT id, code_hash FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL "
        "ORDER BY id");
    codes.bind(1, user_id);
    while (codes.executeStep()) {
      out.recovery_codes.push_back(
          {codes.getColumn(0).getString(), codes.getColumn(1).getString()});
    }
    return out;
  });
}

StoreResult<bool> start_mfa_setup(SqlitePool& pool, const std::string& user_id,
                                  const std::string& secret, const AuditEntry& audit) {
  return pool.run<bool>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s =
        db.prepare("UPDATE users SET mfa_secret = ? WHERE id = ? AND mfa_enabled = 0");
    s.bind(1, secret);
    s.bind(2, user_id);
    if (s.exec() == 0) return false;
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<bool> enable_mfa(SqlitePool& pool, const std::string& user_id,
                             const std::string& secret, std::int64_t step,
                             const std::vector<RecoveryCode>& codes, const AuditEntry& audit) {
  return pool.run<bool>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s = db.prepare(
        "UPDATE users SET mfa_enabled = 1, mfa_last_step = ? WHERE id = ? AND mfa_enabled = 0 "
        "AND mfa_secret = ?");
    s.bind(1, static_cast<std::int64_t>(step));
    s.bind(2, user_id);
    s.bind(3, secret);
    if (s.exec() == 0) return false;
    insert_recovery_codes(db, user_id, codes, audit.created_at);
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<bool> disable_mfa(SqlitePool& pool, const std::string& user_id,
                              const AuditEntry& audit) {
  return pool.run<bool>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s = db.prepare(
        "UPDATE users SET mfa_enabled = 0, mfa_secret = NULL, mfa_last_step = NULL "
        "WHERE id = ? AND mfa_enabled = 1");
    s.bind(1, user_id);
    if (s.exec() == 0) return false;
    insert_recovery_codes(db, user_id, {}, audit.created_at);
    SQLite::Statement& challenges = db.prepare("DELETE FROM mfa_challenges WHERE user_id = ?");
    challenges.bind(1, user_id);
    challenges.exec();
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<bool> replace_recovery_codes(SqlitePool& pool, const std::string& user_id,
                                         const std::vector<RecoveryCode>& codes,
                                         const AuditEntry& audit) {
  return pool.run<bool>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s = db.prepare("SELECT 1 FROM users WHERE id = ? AND mfa_enabled = 1");
    s.bind(1, user_id);
    if (!s.executeStep()) return false;
    insert_recovery_codes(db, user_id, codes, audit.created_at);
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<bool> spend_totp_step(SqlitePool& pool, const std::string& user_id, std::int64_t step) {
  return pool.run<bool>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s = db.prepare(
        "UPDATE users SET mfa_last_step = ? WHERE id = ? AND mfa_enabled = 1 AND "
        "(mfa_last_step IS NULL OR mfa_last_step < ?)");
    s.bind(1, static_cast<std::int64_t>(step));
    s.bind(2, user_id);
    s.bind(3, static_cast<std::int64_t>(step));
    const bool spent = s.exec() == 1;
    tx.commit();
    return spent;
  });
}

StoreResult<bool> spend_recovery_code(SqlitePool& pool, const std::string& code_id,
                                      const std::string& at) {
  return pool.run<bool>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s =
        db.prepare("UPDATE mfa_recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL");
    s.bind(1, at);
    s.bind(2, code_id);
    const bool spent = s.exec() == 1;
    tx.commit();
    return spent;
  });
}

StoreResult<Done> create_mfa_challenge(SqlitePool& pool, const MfaChallenge& challenge) {
  return pool.run<Done>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& purge = db.prepare("DELETE FROM mfa_challenges WHERE expires_at <= ?");
    purge.bind(1, challenge.created_at);
    purge.exec();
    SQLite::Statement& s = db.prepare(
        "INSERT INTO mfa_challenges (token_hash, user_id, expires_at, created_at) "
        "VALUES (?, ?, ?, ?)");
    s.bind(1, challenge.token_hash);
    s.bind(2, challenge.user_id);
    s.bind(3, challenge.expires_at);
    s.bind(4, challenge.created_at);
    s.exec();
    tx.commit();
    return Done{};
  });
}

StoreResult<std::optional<MfaChallenge>> find_mfa_challenge(SqlitePool& pool,
                                                            const std::string& token_hash) {
  return pool.run<std::optional<MfaChallenge>>([&](Conn& db) -> std::optional<MfaChallenge> {
    SQLite::Statement& s = db.prepare(
        "SELECT token_hash, user_id, expires_at, created_at FROM mfa_challenges "
        "WHERE token_hash = ?");
    s.bind(1, token_hash);
    if (!s.executeStep()) return std::nullopt;
    return MfaChallenge{s.getColumn(0).getString(), s.getColumn(1).getString(),
                        s.getColumn(2).getString(), s.getColumn(3).getString()};
  });
}

StoreResult<bool> spend_mfa_challenge(SqlitePool& pool, const std::string& token_hash) {
  return pool.run<bool>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s = db.prepare("DELETE FROM mfa_challenges WHERE token_hash = ?");
    s.bind(1, token_hash);
    const bool spent = s.exec() == 1;
    tx.commit();
    return spent;
  });
}

}  // namespace scopegate::server::sqlite
