#include "server/store/postgres_mfa.hpp"

#include "server/store/postgres_rows.hpp"

namespace scopegate::server::postgres {

namespace {

// Every recovery code a user has is replaced at once: the old ones stop working.
void insert_recovery_codes(PgConn& db, const std::string& user_id,
                           const std::vector<RecoveryCode>& codes, const std::string& at) {
  db.exec("DELETE FROM mfa_recovery_codes WHERE user_id = $1", {user_id});
  for (const auto& code : codes) {
    db.exec(
        "INSERT INTO mfa_recovery_codes (id, user_id, code_hash, used_at, created_at) "
        "VALUES ($1, $2, $3, NULL, $4)",
        {code.id, user_id, code.code_hash, at});
  }
}

}  // namespace

StoreResult<UserMfa> find_user_mfa(PgPool& pool, const std::string& user_id) {
  return pool.run<UserMfa>([&](PgConn& db) {
    UserMfa out;
    const auto rows = db.exec(
        "SELECT mfa_enabled, mfa_secret, mfa_last_step FROM users WHERE id = $1", {user_id});
    if (rows.empty()) return out;
    const auto row = rows.row(0);
    out.enabled = row.integer(0) != 0;
    out.secret = row.optional_text(1);
    out.last_step = row.optional_integer(2);
    const auto codes = db.exec(
        "SELECT id, code_hash FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL "
        "ORDER BY id COLLATE \"C\"",
        {user_id});
    for (int i = 0; i < codes.size(); ++i) {
      out.recovery_codes.push_back({codes.row(i).text(0), codes.row(i).text(1)});
    }
    return out;
  });
}

StoreResult<bool> start_mfa_setup(PgPool& pool, const std::string& user_id,
                                  const std::string& secret, const AuditEntry& audit) {
  return pool.run<bool>([&](PgConn& db) {
    PgTransaction tx(db);
    if (db.exec("UPDATE users SET mfa_secret = $1 WHERE id = $2 AND mfa_enabled = 0",
                {secret, user_id})
            .affected() == 0) {
      return false;
    }
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<bool> enable_mfa(PgPool& pool, const std::string& user_id, const std::string& secret,
                             std::int64_t step, const std::vector<RecoveryCode>& codes,
                             const AuditEntry& audit) {
  return pool.run<bool>([&](PgConn& db) {
    PgTransaction tx(db);
    if (db.exec("UPDATE users SET mfa_enabled = 1, mfa_last_step = $1 WHERE id = $2 AND "
                "mfa_enabled = 0 AND mfa_secret = $3",
                {std::to_string(step), user_id, secret})
            .affected() == 0) {
      return false;
    }
    insert_recovery_codes(db, user_id, codes, audit.created_at);
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<bool> disable_mfa(PgPool& pool, const std::string& user_id, const AuditEntry& audit) {
  return pool.run<bool>([&](PgConn& db) {
    PgTransaction tx(db);
    if (db.exec("UPDATE users SET mfa_enabled = 0, mfa_secret = NULL, mfa_last_step = NULL "
                "WHERE id = $1 AND mfa_enabled = 1",
                {user_id})
            .affected() == 0) {
      return false;
    }
    insert_recovery_codes(db, user_id, {}, audit.created_at);
    db.exec("DELETE FROM mfa_challenges WHERE user_id = $1", {user_id});
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<bool> replace_recovery_codes(PgPool& pool, const std::string& user_id,
                                         const std::vector<RecoveryCode>& codes,
                                         const AuditEntry& audit) {
  return pool.run<bool>([&](PgConn& db) {
    PgTransaction tx(db);
    // FOR UPDATE: a disable committing meanwhile is waited for, and then seen.
    if (db.exec("SELECT 1 FROM users WHERE id = $1 AND mfa_enabled = 1 FOR UPDATE", {user_id})
            .empty()) {
      return false;
    }
    insert_recovery_codes(db, user_id, codes, audit.created_at);
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<bool> spend_totp_step(PgPool& pool, const std::string& user_id, std::int64_t step) {
  return pool.run<bool>([&](PgConn& db) {
    return db.exec(
                 "UPDATE users SET mfa_last_step = $1 WHERE id = $2 AND mfa_enabled = 1 AND "
                 "(mfa_last_step IS NULL OR mfa_last_step < $1)",
                 {std::to_string(step), user_id})
               .affected() == 1;
  });
}

StoreResult<bool> spend_recovery_code(PgPool& pool, const std::string& code_id,
                                      const std::string& at) {
  return pool.run<bool>([&](PgConn& db) {
    return db.exec("UPDATE mfa_recovery_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
                   {at, code_id})
               .affected() == 1;
  });
}

StoreResult<Done> create_mfa_challenge(PgPool& pool, const MfaChallenge& challenge) {
  return pool.run<Done>([&](PgConn& db) {
    PgTransaction tx(db);
    db.exec("DELETE FROM mfa_challenges WHERE expires_at COLLATE \"C\" <= $1",
            {challenge.created_at});
    db.exec(
        "INSERT INTO mfa_challenges (token_hash, user_id, expires_at, created_at) "
        "VALUES ($1, $2, $3, $4)",
        {challenge.token_hash, challenge.user_id, challenge.expires_at, challenge.created_at});
    tx.commit();
    return Done{};
  });
}

StoreResult<std::optional<MfaChallenge>> find_mfa_challenge(PgPool& pool,
                                                            const std::string& token_hash) {
  return pool.run<std::optional<MfaChallenge>>([&](PgConn& db) -> std::optional<MfaChallenge> {
    const auto rows = db.exec(
        "SELECT token_hash, user_id, expires_at, created_at FROM mfa_challenges "
        "WHERE token_hash = $1",
        {token_hash});
    if (rows.empty()) return std::nullopt;
    const auto row = rows.row(0);
    return MfaChallenge{row.text(0), row.text(1), row.text(2), row.text(3)};
  });
}

StoreResult<bool> spend_mfa_challenge(PgPool& pool, const std::string& token_hash) {
  return pool.run<bool>([&](PgConn& db) {
    return db.exec("DELETE FROM mfa_challenges WHERE token_hash = $1", {token_hash}).affected() ==
           1;
  });
}

}  // namespace scopegate::server::postgres
