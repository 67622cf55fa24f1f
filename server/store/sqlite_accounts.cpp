#include "server/store/sqlite_accounts.hpp"

#include <fmt/format.h>

#include "server/store/sqlite_pool.hpp"
#include "server/store/sqlite_rows.hpp"

namespace scopegate::server::sqlite {

namespace {

void bind_count(SQLite::Statement& s, int index, const std::optional<std::int64_t>& value) {
  if (value) {
    s.bind(index, *value);
  } else {
    s.bind(index);
  }
}

// The organization's settings columns, bound from `first` on (in organization_columns'
// order, after created_at).
// mfa_required and the password rules, in column order (7 values).
void bind_rules(SQLite::Statement& s, int first, const Organization& o) {
  s.bind(first, o.mfa_required ? 1 : 0);
  s.bind(first + 1, o.password_min_length);
  s.bind(first + 2, o.password_require_uppercase ? 1 : 0);
  s.bind(first + 3, o.password_require_lowercase ? 1 : 0);
  s.bind(first + 4, o.password_require_digit ? 1 : 0);
  s.bind(first + 5, o.password_require_special ? 1 : 0);
  bind_count(s, first + 6, o.password_expiration_days);
}

void bind_settings(SQLite::Statement& s, int first, const Organization& o) {
  s.bind(first, o.subscription_tier);
  bind_rules(s, first + 1, o);
}

}  // namespace

void insert_organization(Conn& db, const Organization& o) {
  static const std::string sql =
      fmt::format("INSERT INTO organizations ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                  unprefixed_organization_columns);
  SQLite::Statement& s = db.prepare(sql);
  s.bind(1, o.id);
  s.bind(2, o.slug);
  s.bind(3, o.name);
  s.bind(4, o.created_at);
  bind_settings(s, 5, o);
  s.exec();
}

void insert_user(Conn& db, const User& u) {
  static const std::string sql = fmt::format(
      "INSERT INTO users ({}, email_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", user_columns);
  SQLite::Statement& s = db.prepare(sql);
  s.bind(1, u.id);
  s.bind(2, u.organization_id);
  s.bind(3, u.email);
  s.bind(4, u.name);
  s.bind(5, u.role);
  s.bind(6, u.password_hash);
  s.bind(7, u.active ? 1 : 0);
  s.bind(8, u.created_at);
  bind_text(s, 9, u.last_login_at);
  s.bind(10, u.updated_at.empty() ? u.created_at : u.updated_at);
  bind_text(s, 11, u.deleted_at);
  s.bind(12, u.mfa_enabled ? 1 : 0);
  s.bind(13, u.password_changed_at.value_or(u.created_at));
  s.bind(14, email_key(u.email));
  s.exec();
}

std::optional<User> find_user_by_email(Conn& db, const std::string& organization_id,
                                       const std::string& email) {
  static const std::string sql = fmt::format(
      "SELECT {} FROM users WHERE organization_id = ?1 AND (email_key = ?2 OR email = ?3) "
      "ORDER BY email = ?3 DESC LIMIT 1",
      user_columns);
  SQLite::Statement& s = db.prepare(sql);
  s.bind(1, organization_id);
  s.bind(2, email_key(email));
  s.bind(3, email);
  if (!s.executeStep()) return std::nullopt;
  return read_user(s);
}

void insert_tokens(Conn& db, const std::vector<AccessToken>& tokens) {
  for (const auto& token : tokens) {
    SQLite::Statement& t = db.prepare(
        "INSERT INTO access_tokens (token_hash, user_id, kind, expires_at, created_at, "
        "family_id, used_at) VALUES (?,?,?,?,?,?,?)");
    t.bind(1, token.token_hash);
    t.bind(2, token.user_id);
    t.bind(3, token.kind == TokenKind::access ? "access" : "refresh");
    t.bind(4, token.expires_at);
    t.bind(5, token.created_at);
    t.bind(6, token.family_id);
    bind_text(t, 7, token.used_at);
    t.exec();
  }
}

Done register_organization(Conn& db, const Organization& organization, const User& admin,
                           const std::vector<AccessToken>& tokens, const AuditEntry& audit) {
  WriteTransaction tx(db);
  insert_organization(db, organization);
  insert_user(db, admin);
  insert_tokens(db, tokens);
  insert_audit(db, audit);
  tx.commit();
  return Done{};
}

bool update_organization(Conn& db, const Organization& before, const Organization& after,
                         const AuditEntry& audit) {
  WriteTransaction tx(db);
  SQLite::Statement& s = db.prepare(
      "UPDATE organizations SET name = ?, mfa_required = ?, password_min_length = ?, "
      "password_require_uppercase = ?, password_require_lowercase = ?, password_require_digit = ?, "
      "password_require_special = ?, password_expiration_days = ? WHERE id = ? AND name = ? AND "
      "mfa_required = ? AND password_min_length = ? AND password_require_uppercase = ? AND "
      "password_require_lowercase = ? AND password_require_digit = ? AND "
      "password_require_special = ? AND password_expiration_days IS ?");
  s.bind(1, after.name);
  bind_rules(s, 2, after);
  s.bind(9, after.id);
  s.bind(10, before.name);
  bind_rules(s, 11, before);
  if (s.exec() == 0) return false;
  insert_audit(db, audit);
  tx.commit();
  return true;
}

bool rotate_refresh_token(Conn& db, const std::string& token_hash, const std::string& at,
                          const std::vector<AccessToken>& tokens, const AuditEntry& audit) {
  WriteTransaction tx(db);
  SQLite::Statement& s = db.prepare(
      "UPDATE access_tokens SET used_at = ? WHERE token_hash = ? AND kind = 'refresh' AND "
      "used_at IS NULL");
  s.bind(1, at);
  s.bind(2, token_hash);
  if (s.exec() == 0) return false;
  insert_tokens(db, tokens);
  insert_audit(db, audit);
  tx.commit();
  return true;
}

Done revoke_token_family(Conn& db, const std::string& family_id, bool access_too,
                         const AuditEntry* audit) {
  WriteTransaction tx(db);
  SQLite::Statement& s =
      db.prepare(access_too ? "DELETE FROM access_tokens WHERE family_id = ?"
                            : "DELETE FROM access_tokens WHERE family_id = ? AND kind = 'refresh'");
  s.bind(1, family_id);
  s.exec();
  if (audit != nullptr) insert_audit(db, *audit);
  tx.commit();
  return Done{};
}

Done create_one_time_token(Conn& db, const OneTimeToken& token, const OutboxMail* mail,
                           const AuditEntry* audit) {
  WriteTransaction tx(db);
  static const std::string old_sql = fmt::format(
      "DELETE FROM one_time_tokens WHERE (user_id = ? AND used_at IS NULL AND purpose IN ({})) "
      "OR expires_at <= ?",
      password_token_purposes);
  SQLite::Statement& old = db.prepare(old_sql);
  old.bind(1, token.user_id);
  old.bind(2, token.created_at);
  old.exec();
  static const std::string sql =
      fmt::format("INSERT INTO one_time_tokens ({}) VALUES (?,?,?,?,?,?)", one_time_token_columns);
  SQLite::Statement& s = db.prepare(sql);
  s.bind(1, token.token_hash);
  s.bind(2, token.user_id);
  s.bind(3, token.purpose);
  s.bind(4, token.expires_at);
  bind_text(s, 5, token.used_at);
  s.bind(6, token.created_at);
  s.exec();
  if (mail != nullptr) {
    static const std::string mail_sql =
        fmt::format("INSERT INTO mail_outbox ({}) VALUES (?,?,?,?,?,?,?)", outbox_columns);
    SQLite::Statement& m = db.prepare(mail_sql);
    m.bind(1, mail->id);
    m.bind(2, mail->organization_id);
    m.bind(3, mail->recipient);
    m.bind(4, mail->subject);
    m.bind(5, mail->body);
    m.bind(6, mail->created_at);
    bind_text(m, 7, mail->sent_at);
    m.exec();
  }
  if (audit != nullptr) insert_audit(db, *audit);
  tx.commit();
  return Done{};
}

std::optional<OneTimeToken> find_one_time_token(Conn& db, const std::string& token_hash) {
  static const std::string sql =
      fmt::format("SELECT {} FROM one_time_tokens WHERE token_hash = ?", one_time_token_columns);
  SQLite::Statement& s = db.prepare(sql);
  s.bind(1, token_hash);
  if (!s.executeStep()) return std::nullopt;
  OneTimeToken token;
  token.token_hash = s.getColumn(0).getString();
  token.user_id = s.getColumn(1).getString();
  token.purpose = s.getColumn(2).getString();
  token.expires_at = s.getColumn(3).getString();
  token.used_at = column_text(s, 4);
  token.created_at = s.getColumn(5).getString();
  return token;
}

bool rehash_password(Conn& db, const std::string& user_id, const std::string& old_hash,
                     const std::string& new_hash) {
  WriteTransaction tx(db);
  SQLite::Statement& s =
      db.prepare("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?");
  s.bind(1, new_hash);
  s.bind(2, user_id);
  s.bind(3, old_hash);
  const bool replaced = s.exec() == 1;
  tx.commit();
  return replaced;
}

bool change_password(Conn& db, const PasswordChange& change, const AuditEntry& audit) {
  WriteTransaction tx(db);
  if (change.spend_token_hash) {
    SQLite::Statement& spend = db.prepare(
        "UPDATE one_time_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND "
        "expires_at > ?");
    spend.bind(1, change.at);
    spend.bind(2, *change.spend_token_hash);
    spend.bind(3, change.at);
    if (spend.exec() == 0) return false;
  }
  // Every other link of the user dies with the password it was meant to replace.
  SQLite::Statement& void_links =
      db.prepare("DELETE FROM one_time_tokens WHERE user_id = ? AND used_at IS NULL");
  void_links.bind(1, change.user_id);
  void_links.exec();
  if (change.end_sign_ins) {
    SQLite::Statement& end = db.prepare("DELETE FROM access_tokens WHERE user_id = ?");
    end.bind(1, change.user_id);
    end.exec();
  }
  // A sign-in waiting for its second factor was started with the old password.
  SQLite::Statement& challenges = db.prepare("DELETE FROM mfa_challenges WHERE user_id = ?");
  challenges.bind(1, change.user_id);
  challenges.exec();
  SQLite::Statement& s = db.prepare(
      "UPDATE users SET password_hash = ?, password_changed_at = ?, last_login_at = "
      "CASE WHEN ? THEN ? ELSE last_login_at END WHERE id = ?");
  s.bind(1, change.password_hash);
  s.bind(2, change.at);
  s.bind(3, change.tokens.empty() ? 0 : 1);
  s.bind(4, change.at);
  s.bind(5, change.user_id);
  s.exec();
  insert_tokens(db, change.tokens);
  insert_audit(db, audit);
  tx.commit();
  return true;
}

}  // namespace scopegate::server::sqlite
