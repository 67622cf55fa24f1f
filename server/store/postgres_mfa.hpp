// The MFA part of the Store on PostgreSQL (store.hpp, "MFA"): the queries behind PostgresStore's
// MFA methods, each on a connection of the store's pool, every change one
// transaction with its audit entry. Thread-safe as the pool is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/store/postgres_pool.hpp"
#include "server/store/postgres_roles.hpp"
#include "server/store/store.hpp"

namespace scopegate::server::postgres {

StoreResult<UserMfa> find_user_mfa(PgPool& pool, const std::string& user_id);
StoreResult<bool> start_mfa_setup(PgPool& pool, const std::string& user_id,
                                  const std::string& secret, const AuditEntry& audit);
StoreResult<bool> enable_mfa(PgPool& pool, const std::string& user_id, const std::string& secret,
                             std::int64_t step, const std::vector<RecoveryCode>& codes,
                             const AuditEntry& audit);
StoreResult<bool> disable_mfa(PgPool& pool, const std::string& user_id, const AuditEntry& audit);
StoreResult<bool> replace_recovery_codes(PgPool& pool, const std::string& user_id,
                                         const std::vector<RecoveryCode>& codes,
                                         const AuditEntry& audit);
StoreResult<bool> spend_totp_step(PgPool& pool, const std::string& user_id, std::int64_t step);
StoreResult<bool> spend_recovery_code(PgPool& pool, const std::string& code_id,
                                      const std::string& at);
StoreResult<Done> create_mfa_challenge(PgPool& pool, const MfaChallenge& challenge);
StoreResult<std::optional<MfaChallenge>> find_mfa_challenge(PgPool& pool,
                                                            const std::string& token_hash);
StoreResult<bool> spend_mfa_challenge(PgPool& pool, const std::string& token_hash);

// The MFA part of PostgresStore: its Store methods, each one call of the functions above;
// those that change users' rows go through epoch_write().
class PostgresMfaStore : public PostgresRoles {
 public:
  StoreResult<UserMfa> find_user_mfa(const std::string& user_id) override {
    return postgres::find_user_mfa(pool(), user_id);
  }
  StoreResult<bool> start_mfa_setup(const std::string& user_id, const std::string& secret,
                                    const AuditEntry& audit) override {
    return epoch_write([&] { return postgres::start_mfa_setup(pool(), user_id, secret, audit); });
  }
  StoreResult<bool> enable_mfa(const std::string& user_id, const std::string& secret,
                               std::int64_t step, const std::vector<RecoveryCode>& codes,
                               const AuditEntry& audit) override {
    return epoch_write(
        [&] { return postgres::enable_mfa(pool(), user_id, secret, step, codes, audit); });
  }
  StoreResult<bool> disable_mfa(const std::string& user_id, const AuditEntry& audit) override {
    return epoch_write([&] { return postgres::disable_mfa(pool(), user_id, audit); });
  }
  StoreResult<bool> replace_recovery_codes(const std::string& user_id,
                                           const std::vector<RecoveryCode>& codes,
                                           const AuditEntry& audit) override {
    forget_scope_epochs();
    return postgres::replace_recovery_codes(pool(), user_id, codes, audit);
  }
  StoreResult<bool> spend_totp_step(const std::string& user_id, std::int64_t step) override {
    return epoch_write([&] { return postgres::spend_totp_step(pool(), user_id, step); });
  }
  StoreResult<bool> spend_recovery_code(const std::string& code_id,
                                        const std::string& at) override {
    forget_scope_epochs();
    return postgres::spend_recovery_code(pool(), code_id, at);
  }
  StoreResult<Done> create_mfa_challenge(const MfaChallenge& challenge) override {
    forget_scope_epochs();
    return postgres::create_mfa_challenge(pool(), challenge);
  }
  StoreResult<std::optional<MfaChallenge>> find_mfa_challenge(
      const std::string& token_hash) override {
    return postgres::find_mfa_challenge(pool(), token_hash);
  }
  StoreResult<bool> spend_mfa_challenge(const std::string& token_hash) override {
    forget_scope_epochs();
    return postgres::spend_mfa_challenge(pool(), token_hash);
  }
};

}  // namespace scopegate::server::postgres
