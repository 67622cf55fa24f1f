// The PostgreSQL statements of the Store's accounts methods (store.hpp, "Accounts"), and
// the inserts they share with the rest of PostgresStore (organizations, users, tokens).
// Each runs on a connection the caller leased from PgPool; the writes are one
// PgTransaction each, with their audit entry. Errors are thrown as PgError for the pool
// to turn into StoreError.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/store/postgres_mfa.hpp"
#include "server/store/records.hpp"
#include "server/store/store.hpp"

namespace scopegate::server::postgres {

class PgConn;

// Single inserts, inside the caller's transaction.
void insert_organization(PgConn& db, const Organization& organization);
void insert_user(PgConn& db, const User& user);
void insert_tokens(PgConn& db, const std::vector<AccessToken>& tokens);

Done register_organization(PgConn& db, const Organization& organization, const User& admin,
                           const std::vector<AccessToken>& tokens, const AuditEntry& audit);
bool update_organization(PgConn& db, const Organization& before, const Organization& after,
                         const AuditEntry& audit);
bool rotate_refresh_token(PgConn& db, const std::string& token_hash, const std::string& at,
                          const std::vector<AccessToken>& tokens, const AuditEntry& audit);
Done revoke_token_family(PgConn& db, const std::string& family_id, bool access_too,
                         const AuditEntry* audit);
Done create_one_time_token(PgConn& db, const OneTimeToken& token, const OutboxMail* mail,
                           const AuditEntry* audit);
std::optional<OneTimeToken> find_one_time_token(PgConn& db, const std::string& token_hash);
bool change_password(PgConn& db, const PasswordChange& change, const AuditEntry& audit);
bool rehash_password(PgConn& db, const std::string& user_id, const std::string& old_hash,
                     const std::string& new_hash);

// The Store's accounts methods, each the function above on a connection of the pool:
// PostgresStore derives from PostgresAccounts (and so from PostgresMfaStore and
// PostgresRoles), which borrow its pool and its epoch hooks (epoch_write).
class PostgresAccounts : public PostgresMfaStore {
 public:
  StoreResult<Done> register_organization(const Organization& organization, const User& admin,
                                          const std::vector<AccessToken>& tokens,
                                          const AuditEntry& audit) override;
  StoreResult<bool> update_organization(const Organization& before, const Organization& after,
                                        const AuditEntry& audit) override;
  StoreResult<bool> rotate_refresh_token(const std::string& token_hash, const std::string& at,
                                         const std::vector<AccessToken>& tokens,
                                         const AuditEntry& audit) override;
  StoreResult<Done> revoke_token_family(const std::string& family_id, bool access_too,
                                        const AuditEntry* audit) override;
  StoreResult<Done> create_one_time_token(const OneTimeToken& token, const OutboxMail* mail,
                                          const AuditEntry* audit) override;
  StoreResult<std::optional<OneTimeToken>> find_one_time_token(
      const std::string& token_hash) override;
  StoreResult<bool> change_password(const PasswordChange& change, const AuditEntry& audit) override;
  StoreResult<bool> rehash_password(const std::string& user_id, const std::string& old_hash,
                                    const std::string& new_hash) override;
};

}  // namespace scopegate::server::postgres
