// The MFA part of the Store on SQLite (store.hpp, "MFA"): the queries behind SqliteStore's
// MFA methods, each on a connection of the store's pool, every change one write
// transaction with its audit entry. Thread-safe as the pool is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/store/sqlite_pool.hpp"
#include "server/store/sqlite_roles.hpp"
#include "server/store/store.hpp"

namespace scopegate::server::sqlite {

StoreResult<UserMfa> find_user_mfa(SqlitePool& pool, const std::string& user_id);
StoreResult<bool> start_mfa_setup(SqlitePool& pool, const std::string& user_id,
                                  const std::string& secret, const AuditEntry& audit);
StoreResult<bool> enable_mfa(SqlitePool& pool, const std::string& user_id,
                             const std::string& secret, std::int64_t step,
                             const std::vector<RecoveryCode>& codes, const AuditEntry& audit);
StoreResult<bool> disable_mfa(SqlitePool& pool, const std::string& user_id,
                              const AuditEntry& audit);
StoreResult<bool> replace_recovery_codes(SqlitePool& pool, const std::string& user_id,
                                         const std::vector<RecoveryCode>& codes,
                                         const AuditEntry& audit);
StoreResult<bool> spend_totp_step(SqlitePool& pool, const std::string& user_id, std::int64_t step);
StoreResult<bool> spend_recovery_code(SqlitePool& pool, const std::string& code_id,
                                      const std::string& at);
StoreResult<Done> create_mfa_challenge(SqlitePool& pool, const MfaChallenge& challenge);
StoreResult<std::optional<MfaChallenge>> find_mfa_challenge(SqlitePool& pool,
                                                            const std::string& token_hash);
StoreResult<bool> spend_mfa_challenge(SqlitePool& pool, const std::string& token_hash);

// The MFA part of SqliteStore: its Store methods, each one call of the functions above.
class SqliteMfaStore : public SqliteRoles {
 public:
  StoreResult<UserMfa> find_user_mfa(const std::string& user_id) override {
    return sqlite::find_user_mfa(pool(), user_id);
  }
  StoreResult<bool> start_mfa_setup(const std::string& user_id, const std::string& secret,
                                    const AuditEntry& audit) override {
    return sqlite::start_mfa_setup(pool(), user_id, secret, audit);
  }
  StoreResult<bool> enable_mfa(const std::string& user_id, const std::string& secret,
                               std::int64_t step, const std::vector<RecoveryCode>& codes,
                               const AuditEntry& audit) override {
    return sqlite::enable_mfa(pool(), user_id, secret, step, codes, audit);
  }
  StoreResult<bool> disable_mfa(const std::string& user_id, const AuditEntry& audit) override {
    return sqlite::disable_mfa(pool(), user_id, audit);
  }
  StoreResult<bool> replace_recovery_codes(const std::string& user_id,
                                           const std::vector<RecoveryCode>& codes,
                                           const AuditEntry& audit) override {
    return sqlite::replace_recovery_codes(pool(), user_id, codes, audit);
  }
  StoreResult<bool> spend_totp_step(const std::string& user_id, std::int64_t step) override {
    return sqlite::spend_totp_step(pool(), user_id, step);
  }
  StoreResult<bool> spend_recovery_code(const std::string& code_id,
                                        const std::string& at) override {
    return sqlite::spend_recovery_code(pool(), code_id, at);
  }
  StoreResult<Done> create_mfa_challenge(const MfaChallenge& challenge) override {
    return sqlite::create_mfa_challenge(pool(), challenge);
  }
  StoreResult<std::optional<MfaChallenge>> find_mfa_challenge(
      const std::string& token_hash) override {
    return sqlite::find_mfa_challenge(pool(), token_hash);
  }
  StoreResult<bool> spend_mfa_challenge(const std::string& token_hash) override {
    return sqlite::spend_mfa_challenge(pool(), token_hash);
  }
};

}  // namespace scopegate::server::sqlite
