#include "server/store/postgres_accounts.hpp"

#include <fmt/format.h>

#include <utility>

#include "server/store/postgres_pool.hpp"
#include "server/store/postgres_rows.hpp"

namespace scopegate::server::postgres {

namespace {

// "$1,$2,...,$count".
std::string numbered(int count) {
  std::string out;
  for (int i = 1; i <= count; ++i) out += fmt::format("{}${}", i == 1 ? "" : ",", i);
  return out;
}

}  // namespace

void insert_organization(PgConn& db, const Organization& o) {
  static const std::string sql =
      fmt::format("INSERT INTO organizations ({}) VALUES ({})", unprefixed_organization_columns,
                  numbered(column_count(unprefixed_organization_columns)));
  db.exec(sql, organization_params(o));
}

void insert_user(PgConn& db, const User& u) {
  static const std::string sql =
      fmt::format("INSERT INTO users ({}, email_key) VALUES ({})", user_columns,
                  numbered(column_count(user_columns) + 1));
  auto params = user_params(u);
  params.emplace_back(email_key(u.email));
  db.exec(sql, params);
}

void insert_tokens(PgConn& db, const std::vector<AccessToken>& tokens) {
  for (const auto& token : tokens) {
    db.exec(
        "INSERT INTO access_tokens (token_hash, user_id, kind, expires_at, created_at, family_id, "
        "used_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        {token.token_hash, token.user_id,
         std::string(token.kind == TokenKind::access ? "access" : "refresh"), token.expires_at,
         token.created_at, token.family_id, token.used_at});
  }
}

Done register_organization(PgConn& db, const Organization& organization, const User& admin,
                           const std::vector<AccessToken>& tokens, const AuditEntry& audit) {
  PgTransaction tx(db);
  insert_organization(db, organization);
  insert_user(db, admin);
  insert_tokens(db, tokens);
  insert_audit(db, audit);
  tx.commit();
  return Done{};
}

bool update_organization(PgConn& db, const Organization& before, const Organization& after,
                         const AuditEntry& audit) {
  PgTransaction tx(db);
  // organization_params: id, slug, name, created_at, subscription_tier, then mfa_required
  // and the password rules (7 values).
  const auto new_values = organization_params(after);
  const auto old_values = organization_params(before);
  std::vector<Param> params{after.id, after.name};
  params.insert(params.end(), new_values.begin() + 5, new_values.end());  // $3..$9
  params.push_back(before.name);                                          // $10
  params.insert(params.end(), old_values.begin() + 5, old_values.end());  // $11..$17
  const auto updated = db.exec(
      "UPDATE organizations SET name = $2, mfa_required = $3, password_min_length = $4, "
      "password_require_uppercase = $5, password_require_lowercase = $6, "
      "password_require_digit = $7, password_require_special = $8, password_expiration_days = "
      "$9 WHERE id = $1 AND name = $10 AND mfa_required = $11 AND password_min_length = $12 "
      "AND password_require_uppercase = $13 AND password_require_lowercase = $14 AND "
      "password_require_digit = $15 AND password_require_special = $16 AND "
      "password_expiration_days IS NOT DISTINCT FROM $17",
      params);
  if (updated.affected() == 0) return false;
  insert_audit(db, audit);
  tx.commit();
  return true;
}

// The user's row lock orders the writes that end a user's sign-ins (a password change, a
// family's revocation: FOR UPDATE) against those that add tokens (a rotation: FOR SHARE):
// under READ COMMITTED a DELETE does not see rows a transaction it raced inserted, so
// without it a refresh committing during a reset would keep a fresh pair.
void lock_user(PgConn& db, const std::string& user_id, bool exclusive) {
  db.exec(exclusive ? "SELECT 1 FROM users WHERE id = $1 FOR UPDATE"
                    : "SELECT 1 FROM users WHERE id = $1 FOR SHARE",
          {user_id});
}

bool rotate_refresh_token(PgConn& db, const std::string& token_hash, const std::string& at,
                          const std::vector<AccessToken>& tokens, const AuditEntry& audit) {
  PgTransaction tx(db);
  if (!tokens.empty()) lock_user(db, tokens.front().user_id, false);
  const auto used = db.exec(
      "UPDATE access_tokens SET used_at = $1 WHERE token_hash = $2 AND kind = 'refresh' AND "
      "used_at IS NULL",
      {at, token_hash});
  if (used.affected() == 0) return false;
  insert_tokens(db, tokens);
  insert_audit(db, audit);
  tx.commit();
  return true;
}

Done revoke_token_family(PgConn& db, const std::string& family_id, bool access_too,
                         const AuditEntry* audit) {
  PgTransaction tx(db);
  const auto owner =
      db.exec("SELECT user_id FROM access_tokens WHERE family_id = $1 LIMIT 1", {family_id});
  if (!owner.empty()) lock_user(db, owner.row(0).text(0), true);
  db.exec(access_too ? "DELETE FROM access_tokens WHERE family_id = $1"
                     : "DELETE FROM access_tokens WHERE family_id = $1 AND kind = 'refresh'",
          {family_id});
  if (audit != nullptr) insert_audit(db, *audit);
  tx.commit();
  return Done{};
}

Done create_one_time_token(PgConn& db, const OneTimeToken& token, const OutboxMail* mail,
                           const AuditEntry* audit) {
  PgTransaction tx(db);
  static const std::string old_sql = fmt::format(
      "DELETE FROM one_time_tokens WHERE (user_id = $1 AND used_at IS NULL AND purpose IN ({})) "
      "OR expires_at COLLATE \"C\" <= $2",
      password_token_purposes);
  db.exec(old_sql, {token.user_id, token.created_at});
  static const std::string sql = fmt::format(
      "INSERT INTO one_time_tokens ({}) VALUES ($1,$2,$3,$4,$5,$6)", one_time_token_columns);
  db.exec(sql, {token.token_hash, token.user_id, token.purpose, token.expires_at, token.used_at,
                token.created_at});
  if (mail != nullptr) {
    static const std::string mail_sql =
        fmt::format("INSERT INTO mail_outbox ({}) VALUES ($1,$2,$3,$4,$5,$6,$7)", outbox_columns);
    db.exec(mail_sql, {mail->id, mail->organization_id, mail->recipient, mail->subject, mail->body,
                       mail->created_at, mail->sent_at});
  }
  if (audit != nullptr) insert_audit(db, *audit);
  tx.commit();
  return Done{};
}

std::optional<OneTimeToken> find_one_time_token(PgConn& db, const std::string& token_hash) {
  static const std::string sql =
      fmt::format("SELECT {} FROM one_time_tokens WHERE token_hash = $1", one_time_token_columns);
  const auto rows = db.exec(sql, {token_hash});
  if (rows.empty()) return std::nullopt;
  const auto row = rows.row(0);
  return OneTimeToken{row.text(0), row.text(1),          row.text(2),
                      row.text(3), row.optional_text(4), row.text(5)};
}

bool rehash_password(PgConn& db, const std::string& user_id, const std::string& old_hash,
                     const std::string& new_hash) {
  return db.exec("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3",
                 {new_hash, user_id, old_hash})
             .affected() == 1;
}

bool change_password(PgConn& db, const PasswordChange& change, const AuditEntry& audit) {
  PgTransaction tx(db);
  lock_user(db, change.user_id, true);
  if (change.spend_token_hash) {
    const auto spent = db.exec(
        "UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND "
        "expires_at COLLATE \"C\" > $1",
        {change.at, *change.spend_token_hash});
    if (spent.affected() == 0) return false;
  }
  // Every other link of the user dies with the password it was meant to replace.
  db.exec("DELETE FROM one_time_tokens WHERE user_id = $1 AND used_at IS NULL", {change.user_id});
  if (change.end_sign_ins) {
    db.exec("DELETE FROM access_tokens WHERE user_id = $1", {change.user_id});
  }
  // A sign-in waiting for its second factor was started with the old password.
  db.exec("DELETE FROM mfa_challenges WHERE user_id = $1", {change.user_id});
  db.exec(
      "UPDATE users SET password_hash = $1, password_changed_at = $2, last_login_at = "
      "CASE WHEN $3 = '1' THEN $2 ELSE last_login_at END WHERE id = $4",
      {change.password_hash, change.at, flag(!change.tokens.empty()), change.user_id});
  insert_tokens(db, change.tokens);
  insert_audit(db, audit);
  tx.commit();
  return true;
}

StoreResult<Done> PostgresAccounts::register_organization(const Organization& organization,
                                                          const User& admin,
                                                          const std::vector<AccessToken>& tokens,
                                                          const AuditEntry& audit) {
  return epoch_write([&] {
    return pool().run<Done>([&](PgConn& db) {
      return postgres::register_organization(db, organization, admin, tokens, audit);
    });
  });
}

StoreResult<bool> PostgresAccounts::update_organization(const Organization& before,
                                                        const Organization& after,
                                                        const AuditEntry& audit) {
  return epoch_write([&] {
    return pool().run<bool>(
        [&](PgConn& db) { return postgres::update_organization(db, before, after, audit); });
  });
}

StoreResult<bool> PostgresAccounts::rotate_refresh_token(const std::string& token_hash,
                                                         const std::string& at,
                                                         const std::vector<AccessToken>& tokens,
                                                         const AuditEntry& audit) {
  return epoch_write([&] {
    return pool().run<bool>([&](PgConn& db) {
      return postgres::rotate_refresh_token(db, token_hash, at, tokens, audit);
    });
  });
}

StoreResult<Done> PostgresAccounts::revoke_token_family(const std::string& family_id,
                                                        bool access_too, const AuditEntry* audit) {
  return epoch_write([&] {
    return pool().run<Done>([&](PgConn& db) {
      return postgres::revoke_token_family(db, family_id, access_too, audit);
    });
  });
}

StoreResult<Done> PostgresAccounts::create_one_time_token(const OneTimeToken& token,
                                                          const OutboxMail* mail,
                                                          const AuditEntry* audit) {
  return epoch_write([&] {
    return pool().run<Done>(
        [&](PgConn& db) { return postgres::create_one_time_token(db, token, mail, audit); });
  });
}

StoreResult<std::optional<OneTimeToken>> PostgresAccounts::find_one_time_token(
    const std::string& token_hash) {
  return pool().run<std::optional<OneTimeToken>>(
      [&](PgConn& db) { return postgres::find_one_time_token(db, token_hash); });
}

StoreResult<bool> PostgresAccounts::change_password(const PasswordChange& change,
                                                    const AuditEntry& audit) {
  return epoch_write([&] {
    return pool().run<bool>(
        [&](PgConn& db) { return postgres::change_password(db, change, audit); });
  });
}

StoreResult<bool> PostgresAccounts::rehash_password(const std::string& user_id,
                                                    const std::string& old_hash,
                                                    const std::string& new_hash) {
  return epoch_write([&] {
    return pool().run<bool>(
        [&](PgConn& db) { return postgres::rehash_password(db, user_id, old_hash, new_hash); });
  });
}

}  // namespace scopegate::server::postgres
