#include "server/store/postgres_rows.hpp"

#include <fmt/format.h>

#include <sstream>

namespace scopegate::server::postgres {

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word) out.push_back(word);
  return out;
}

User read_user(const Row& r, int first) {
  User u;
  u.id = r.text(first);
  u.organization_id = r.text(first + 1);
  u.email = r.text(first + 2);
  u.name = r.text(first + 3);
  u.role = r.text(first + 4);
  u.password_hash = r.text(first + 5);
  u.active = r.integer(first + 6) != 0;
  u.created_at = r.text(first + 7);
  u.last_login_at = r.optional_text(first + 8);
  u.updated_at = r.text(first + 9);
  u.deleted_at = r.optional_text(first + 10);
  u.mfa_enabled = r.integer(first + 11) != 0;
  u.password_changed_at = r.optional_text(first + 12);
  return u;
}

OrgRole read_role(const Row& r) {
  OrgRole role;
  role.id = r.text(0);
  role.organization_id = r.text(1);
  role.name = r.text(2);
  role.description = r.optional_text(3);
  role.max_session_hours = r.optional_integer(4);
  role.created_at = r.text(5);
  role.updated_at = r.text(6);
  return role;
}

Organization read_organization(const Row& r, int first) {
  Organization o;
  o.id = r.text(first);
  o.slug = r.text(first + 1);
  o.name = r.text(first + 2);
  o.created_at = r.text(first + 3);
  o.subscription_tier = r.text(first + 4);
  o.mfa_required = r.integer(first + 5) != 0;
  o.password_min_length = r.integer(first + 6);
  o.password_require_uppercase = r.integer(first + 7) != 0;
  o.password_require_lowercase = r.integer(first + 8) != 0;
  o.password_require_digit = r.integer(first + 9) != 0;
  o.password_require_special = r.integer(first + 10) != 0;
  o.password_expiration_days = r.optional_integer(first + 11);
  return o;
}

AccessToken read_token(const Row& r, int first) {
  AccessToken t;
  t.token_hash = r.text(first);
  t.user_id = r.text(first + 1);
  t.kind = r.text(first + 2) == "access" ? TokenKind::access : TokenKind::refresh;
  t.expires_at = r.text(first + 3);
  t.created_at = r.text(first + 4);
  t.family_id = r.optional_text(first + 5).value_or(t.token_hash);
  t.used_at = r.optional_text(first + 6);
  return t;
}

ApiKey read_key(const Row& r, int first) {
  ApiKey k;
  k.id = r.text(first);
  k.organization_id = r.text(first + 1);
  k.created_by = r.text(first + 2);
  k.created_by_email = r.text(first + 3);
  k.name = r.text(first + 4);
  k.description = r.optional_text(first + 5);
  k.key_prefix = r.text(first + 6);
  k.key_hash = r.text(first + 7);
  k.scopes = split_words(r.text(first + 8));
  k.expires_at = r.optional_text(first + 9);
  k.revoked_at = r.optional_text(first + 10);
  k.last_used_at = r.optional_text(first + 11);
  k.last_used_ip = r.optional_text(first + 12);
  k.created_at = r.text(first + 13);
  k.allowed_cidrs = split_words(r.text(first + 14));
  return k;
}

Resource read_resource(const Row& r) {
  Resource x;
  x.id = r.text(0);
  x.organization_id = r.text(1);
  x.name = r.text(2);
  x.credential_id = r.optional_text(3);
  x.provider = r.text(4);
  x.resource_type = r.text(5);
  x.resource_identifier = r.text(6);
  x.region = r.optional_text(7);
  x.config_json = r.optional_text(8);
  x.active = r.integer(9) != 0;
  x.last_verified_at = r.optional_text(10);
  x.created_at = r.text(11);
  x.updated_at = r.text(12);
  x.credential_name = r.optional_text(13);
  return x;
}

Credential read_credential(const Row& r) {
  Credential c;
  c.id = r.text(0);
  c.organization_id = r.text(1);
  c.name = r.text(2);
  c.provider = r.text(3);
  c.credential_type = r.text(4);
  c.sealed_data = r.text(5);
  if (const auto valid = r.optional_integer(6)) c.valid = *valid != 0;
  c.last_verified_at = r.optional_text(7);
  c.verification_error = r.optional_text(8);
  c.created_at = r.text(9);
  c.updated_at = r.text(10);
  return c;
}

Session read_session(const Row& r, int first) {
  Session x;
  x.id = r.text(first);
  x.organization_id = r.text(first + 1);
  x.user_id = r.text(first + 2);
  x.ipv4_address = r.optional_text(first + 3);
  x.ipv6_address = r.optional_text(first + 4);
  x.status = r.text(first + 5);
  x.started_at = r.text(first + 6);
  x.expires_at = r.text(first + 7);
  x.ended_at = r.optional_text(first + 8);
  x.ended_reason = r.optional_text(first + 9);
  x.created_at = r.text(first + 10);
  return x;
}

AuditEntry read_audit(const Row& r) {
  AuditEntry a;
  a.id = r.text(0);
  a.organization_id = r.text(1);
  a.event_type = r.text(2);
  a.actor_email = r.optional_text(3);
  a.actor_type = r.text(4);
  a.resource_type = r.optional_text(5);
  a.resource_id = r.optional_text(6);
  a.resource_name = r.optional_text(7);
  a.result = r.text(8);
  a.ip_address = r.optional_text(9);
  a.error_message = r.optional_text(10);
  a.details_json = r.text(11);
  a.created_at = r.text(12);
  return a;
}

SessionResourceIp read_resource_ip(const Row& r, int first) {
  SessionResourceIp ip;
  ip.id = r.text(first);
  ip.session_id = r.text(first + 1);
  ip.resource_id = r.text(first + 2);
  ip.resource_name = r.text(first + 3);
  ip.ip_version = r.text(first + 4);
  ip.ip_address = r.text(first + 5);
  ip.status = r.text(first + 6);
  ip.provider_rule_id = r.optional_text(first + 7);
  ip.applied_at = r.optional_text(first + 8);
  ip.removed_at = r.optional_text(first + 9);
  ip.error_message = r.optional_text(first + 10);
  return ip;
}

std::vector<Param> audit_params(const AuditEntry& a) {
  return {a.id,         a.organization_id, a.event_type,    a.actor_email,
          a.actor_type, a.resource_type,   a.resource_id,   a.resource_name,
          a.result,     a.ip_address,      a.error_message, a.details_json,
          a.created_at};
}

std::vector<Param> user_params(const User& u) {
  return {u.id,
          u.organization_id,
          u.email,
          u.name,
          u.role,
          u.password_hash,
          flag(u.active),
          u.created_at,
          u.last_login_at,
          u.updated_at.empty() ? u.created_at : u.updated_at,
          u.deleted_at,
          flag(u.mfa_enabled),
          u.password_changed_at.value_or(u.created_at)};
}

std::vector<Param> organization_params(const Organization& o) {
  const auto count = [](const std::optional<std::int64_t>& value) -> Param {
    if (!value) return std::nullopt;
    return std::to_string(*value);
  };
  return {o.id,
          o.slug,
          o.name,
          o.created_at,
          o.subscription_tier,
          flag(o.mfa_required),
          std::to_string(o.password_min_length),
          flag(o.password_require_uppercase),
          flag(o.password_require_lowercase),
          flag(o.password_require_digit),
          flag(o.password_require_special),
          count(o.password_expiration_days)};
}

void insert_audit(PgConn& db, const AuditEntry& a) {
  static const std::string sql =
      fmt::format("INSERT INTO audit_logs ({}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
                  audit_columns);
  db.exec(sql, audit_params(a));
}

std::vector<Param> session_params(const Session& x) {
  return {x.id,         x.organization_id, x.user_id,  x.ipv4_address, x.ipv6_address, x.status,
          x.started_at, x.expires_at,      x.ended_at, x.ended_reason, x.created_at};
}

std::vector<Param> resource_ip_params(const std::string& session_id, const SessionResourceIp& ip) {
  return {ip.id,         session_id,    ip.resource_id,  ip.resource_name,
          ip.ip_version, ip.ip_address, ip.status,       ip.provider_rule_id,
          ip.applied_at, ip.removed_at, ip.error_message};
}

}  // namespace scopegate::server::postgres
