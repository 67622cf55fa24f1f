// The MFA part of the Store on SQLite (store.hpp, "MFA"): the queries behind SqliteStore's
// MFA methods, each on a connection of the store's pool, every change one write
// transaction with its audit entry. Thread-safe as the pool is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/store/sqlite_pool.hpp"
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

}  // namespace scopegate::server::sqlite
