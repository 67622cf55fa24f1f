#include "server/store/sqlite_rows.hpp"

#include <fmt/format.h>

#include <sstream>

#include "server/store/sqlite_pool.hpp"

namespace scopegate::server::sqlite {

void bind_text(SQLite::Statement& statement, int index, const OptionalText& value) {
  if (value) {
    statement.bind(index, *value);
  } else {
    statement.bind(index);
  }
}

std::optional<std::int64_t> optional_integer(SQLite::Statement& statement, int index) {
  const auto column = statement.getColumn(index);
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

OptionalText column_text(SQLite::Statement& statement, int index) {
  const auto column = statement.getColumn(index);
  if (column.isNull()) return std::nullopt;
  return column.getString();
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) {
    if (!out.empty()) out += ' ';
    out += scope;
  }
  return out;
}

std::vector<std::string> split_scopes(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string scope;
  while (in >> scope) out.push_back(scope);
  return out;
}

User read_user(SQLite::Statement& s, int first) {
  User u;
  u.id = s.getColumn(first).getString();
  u.organization_id = s.getColumn(first + 1).getString();
  u.email = s.getColumn(first + 2).getString();
  u.name = s.getColumn(first + 3).getString();
  u.role = s.getColumn(first + 4).getString();
  u.password_hash = s.getColumn(first + 5).getString();
  u.active = s.getColumn(first + 6).getInt() != 0;
  u.created_at = s.getColumn(first + 7).getString();
  u.last_login_at = column_text(s, first + 8);
  u.updated_at = s.getColumn(first + 9).getString();
  u.deleted_at = column_text(s, first + 10);
  u.mfa_enabled = s.getColumn(first + 11).getInt() != 0;
  u.password_changed_at = column_text(s, first + 12);
  return u;
}

OrgRole read_role(SQLite::Statement& s) {
  OrgRole r;
  r.id = s.getColumn(0).getString();
  r.organization_id = s.getColumn(1).getString();
  r.name = s.getColumn(2).getString();
  r.description = column_text(s, 3);
  r.max_session_hours = optional_integer(s, 4);
  r.created_at = s.getColumn(5).getString();
  r.updated_at = s.getColumn(6).getString();
  return r;
}

Organization read_organization(SQLite::Statement& s, int first) {
  Organization o;
  o.id = s.getColumn(first).getString();
  o.slug = s.getColumn(first + 1).getString();
  o.name = s.getColumn(first + 2).getString();
  o.created_at = s.getColumn(first + 3).getString();
  o.subscription_tier = s.getColumn(first + 4).getString();
  o.mfa_required = s.getColumn(first + 5).getInt() != 0;
  o.password_min_length = s.getColumn(first + 6).getInt64();
  o.password_require_uppercase = s.getColumn(first + 7).getInt() != 0;
  o.password_require_lowercase = s.getColumn(first + 8).getInt() != 0;
  o.password_require_digit = s.getColumn(first + 9).getInt() != 0;
  o.password_require_special = s.getColumn(first + 10).getInt() != 0;
  o.password_expiration_days = optional_integer(s, first + 11);
  return o;
}

AccessToken read_token(SQLite::Statement& s, int first) {
  AccessToken t;
  t.token_hash = s.getColumn(first).getString();
  t.user_id = s.getColumn(first + 1).getString();
  t.kind = s.getColumn(first + 2).getString() == "access" ? TokenKind::access : TokenKind::refresh;
  t.expires_at = s.getColumn(first + 3).getString();
  t.created_at = s.getColumn(first + 4).getString();
  t.family_id = column_text(s, first + 5).value_or(t.token_hash);
  t.used_at = column_text(s, first + 6);
  return t;
}

void insert_audit(Conn& db, const AuditEntry& a) {
  static const std::string sql =
      fmt::format("INSERT INTO audit_logs ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", audit_columns);
  SQLite::Statement& s = db.prepare(sql);
  s.bind(1, a.id);
  s.bind(2, a.organization_id);
  s.bind(3, a.event_type);
  bind_text(s, 4, a.actor_email);
  s.bind(5, a.actor_type);
  bind_text(s, 6, a.resource_type);
  bind_text(s, 7, a.resource_id);
  bind_text(s, 8, a.resource_name);
  s.bind(9, a.result);
  bind_text(s, 10, a.ip_address);
  bind_text(s, 11, a.error_message);
  s.bind(12, a.details_json);
  s.bind(13, a.created_at);
  s.exec();
}

ApiKey read_key(SQLite::Statement& s, int first) {
  ApiKey k;
  k.id = s.getColumn(first).getString();
  k.organization_id = s.getColumn(first + 1).getString();
  k.created_by = s.getColumn(first + 2).getString();
  k.created_by_email = s.getColumn(first + 3).getString();
  k.name = s.getColumn(first + 4).getString();
  k.description = column_text(s, first + 5);
  k.key_prefix = s.getColumn(first + 6).getString();
  k.key_hash = s.getColumn(first + 7).getString();
  k.scopes = split_scopes(s.getColumn(first + 8).getString());
  k.expires_at = column_text(s, first + 9);
  k.revoked_at = column_text(s, first + 10);
  k.last_used_at = column_text(s, first + 11);
  k.last_used_ip = column_text(s, first + 12);
  k.created_at = s.getColumn(first + 13).getString();
  k.allowed_cidrs = split_scopes(s.getColumn(first + 14).getString());
  return k;
}

Resource read_resource(SQLite::Statement& s) {
  Resource r;
  r.id = s.getColumn(0).getString();
  r.organization_id = s.getColumn(1).getString();
  r.name = s.getColumn(2).getString();
  r.credential_id = column_text(s, 3);
  r.provider = s.getColumn(4).getString();
  r.resource_type = s.getColumn(5).getString();
  r.resource_identifier = s.getColumn(6).getString();
  r.region = column_text(s, 7);
  r.config_json = column_text(s, 8);
  r.active = s.getColumn(9).getInt() != 0;
  r.last_verified_at = column_text(s, 10);
  r.created_at = s.getColumn(11).getString();
  r.updated_at = s.getColumn(12).getString();
  r.credential_name = column_text(s, 13);
  return r;
}

Credential read_credential(SQLite::Statement& s) {
  Credential c;
  c.id = s.getColumn(0).getString();
  c.organization_id = s.getColumn(1).getString();
  c.name = s.getColumn(2).getString();
  c.provider = s.getColumn(3).getString();
  c.credential_type = s.getColumn(4).getString();
  c.sealed_data = s.getColumn(5).getString();
  if (const auto valid = optional_integer(s, 6)) c.valid = *valid != 0;
  c.last_verified_at = column_text(s, 7);
  c.verification_error = column_text(s, 8);
  c.created_at = s.getColumn(9).getString();
  c.updated_at = s.getColumn(10).getString();
  return c;
}

Session read_session(SQLite::Statement& s) {
  Session x;
  x.id = s.getColumn(0).getString();
  x.organization_id = s.getColumn(1).getString();
  x.user_id = s.getColumn(2).getString();
  x.ipv4_address = column_text(s, 3);
  x.ipv6_address = column_text(s, 4);
  x.status = s.getColumn(5).getString();
  x.started_at = s.getColumn(6).getString();
  x.expires_at = s.getColumn(7).getString();
  x.ended_at = column_text(s, 8);
  x.ended_reason = column_text(s, 9);
  x.created_at = s.getColumn(10).getString();
  return x;
}

AuditEntry read_audit(SQLite::Statement& s) {
  AuditEntry a;
  a.id = s.getColumn(0).getString();
  a.organization_id = s.getColumn(1).getString();
  a.event_type = s.getColumn(2).getString();
  a.actor_email = column_text(s, 3);
  a.actor_type = s.getColumn(4).getString();
  a.resource_type = column_text(s, 5);
  a.resource_id = column_text(s, 6);
  a.resource_name = column_text(s, 7);
  a.result = s.getColumn(8).getString();
  a.ip_address = column_text(s, 9);
  a.error_message = column_text(s, 10);
  a.details_json = s.getColumn(11).getString();
  a.created_at = s.getColumn(12).getString();
  return a;
}

SessionResourceIp read_resource_ip(SQLite::Statement& s, int first) {
  SessionResourceIp ip;
  ip.id = s.getColumn(first).getString();
  ip.session_id = s.getColumn(first + 1).getString();
  ip.resource_id = s.getColumn(first + 2).getString();
  ip.resource_name = s.getColumn(first + 3).getString();
  ip.ip_version = s.getColumn(first + 4).getString();
  ip.ip_address = s.getColumn(first + 5).getString();
  ip.status = s.getColumn(first + 6).getString();
  ip.provider_rule_id = column_text(s, first + 7);
  ip.applied_at = column_text(s, first + 8);
  ip.removed_at = column_text(s, first + 9);
  ip.error_message = column_text(s, first + 10);
  return ip;
}

}  // namespace scopegate::server::sqlite
