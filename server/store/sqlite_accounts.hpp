// The SQLite statements of the Store's accounts methods (store.hpp, "Accounts"), the
// inserts they share with the rest of SqliteStore (organizations, users, tokens) and the
// lookup of a user by email (sign-in, forgot-password). Each runs on a connection the
// caller leased from SqlitePool; the writes are one WriteTransaction each, with their
// audit entry. SQLite errors are thrown as SQLite::Exception for the pool to turn into
// StoreError.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/store/records.hpp"
#include "server/store/store.hpp"

namespace scopegate::server::sqlite {

class Conn;

// Single inserts, inside the caller's transaction.
void insert_organization(Conn& db, const Organization& organization);
void insert_user(Conn& db, const User& user);
void insert_tokens(Conn& db, const std::vector<AccessToken>& tokens);
// Store::find_user_by_email.
std::optional<User> find_user_by_email(Conn& db, const std::string& organization_id,
                                       const std::string& email);

Done register_organization(Conn& db, const Organization& organization, const User& admin,
                           const std::vector<AccessToken>& tokens, const AuditEntry& audit);
bool update_organization(Conn& db, const Organization& before, const Organization& after,
                         const AuditEntry& audit);
bool rotate_refresh_token(Conn& db, const std::string& token_hash, const std::string& at,
                          const std::vector<AccessToken>& tokens, const AuditEntry& audit);
Done revoke_token_family(Conn& db, const std::string& family_id, bool access_too,
                         const AuditEntry* audit);
Done create_one_time_token(Conn& db, const OneTimeToken& token, const OutboxMail* mail,
                           const AuditEntry* audit);
std::optional<OneTimeToken> find_one_time_token(Conn& db, const std::string& token_hash);
bool change_password(Conn& db, const PasswordChange& change, const AuditEntry& audit);
bool rehash_password(Conn& db, const std::string& user_id, const std::string& old_hash,
                     const std::string& new_hash);

}  // namespace scopegate::server::sqlite
