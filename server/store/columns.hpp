// The column lists the stores select, in the order their read_* functions expect them
// (sqlite_rows.hpp, postgres_rows.hpp). Both stores have one schema (migrations.cpp; the
// PostgreSQL migrations keep its tables and columns), so the lists are shared.
#pragma once

#include <string_view>

namespace scopegate::server {

// How many columns a list names (the offset of the next list in a joined row).
constexpr int column_count(std::string_view list) {
  int count = 1;
  for (const char c : list) count += c == ',' ? 1 : 0;
  return count;
}

inline constexpr std::string_view user_columns =
    "id, organization_id, email, name, role, password_hash, is_active, created_at, last_login_at, "
    "updated_at, deleted_at, mfa_enabled, password_changed_at";
inline constexpr std::string_view prefixed_user_columns =
    "u.id, u.organization_id, u.email, u.name, u.role, u.password_hash, u.is_active, "
    "u.created_at, u.last_login_at, u.updated_at, u.deleted_at, u.mfa_enabled, "
    "u.password_changed_at";
// How many columns user_columns lists (where a join reads on after them).
inline constexpr int user_column_count = column_count(user_columns);
inline constexpr std::string_view unprefixed_organization_columns =
    "id, slug, name, created_at, subscription_tier, mfa_required, password_min_length, "
    "password_require_uppercase, password_require_lowercase, password_require_digit, "
    "password_require_special, password_expiration_days";
inline constexpr std::string_view organization_columns =
    "o.id, o.slug, o.name, o.created_at, o.subscription_tier, o.mfa_required, "
    "o.password_min_length, o.password_require_uppercase, o.password_require_lowercase, "
    "o.password_require_digit, o.password_require_special, o.password_expiration_days";
inline constexpr std::string_view token_columns =
    "t.token_hash, t.user_id, t.kind, t.expires_at, t.created_at, t.family_id, t.used_at";
inline constexpr std::string_view one_time_token_columns =
    "token_hash, user_id, purpose, expires_at, used_at, created_at";
// The one-time token purposes that let their holder set the user's password (all of them
// today): a new token of the user voids the unused ones of these (Store::create_one_time_token).
inline constexpr std::string_view password_token_purposes =
    "'PASSWORD_RESET', 'SET_PASSWORD', 'PASSWORD_CHANGE'";
inline constexpr std::string_view outbox_columns =
    "id, organization_id, recipient, subject, body, created_at, sent_at";
inline constexpr std::string_view key_columns =
    "k.id, k.organization_id, k.created_by, u.email, k.name, k.description, k.key_prefix, "
    "k.key_hash, k.scopes, k.expires_at, k.revoked_at, k.last_used_at, k.last_used_ip, "
    "k.created_at, k.allowed_cidrs";
// Selected FROM resource_tables (the credential's name comes from its row).
inline constexpr std::string_view resource_columns =
    "r.id, r.organization_id, r.name, r.credential_id, r.provider, r.resource_type, "
    "r.resource_identifier, r.region, r.config, r.is_active, r.last_verified_at, r.created_at, "
    "r.updated_at, c.name";
inline constexpr std::string_view resource_tables =
    "resources r LEFT JOIN credentials c ON c.id = r.credential_id";
inline constexpr std::string_view credential_columns =
    "id, organization_id, name, provider, credential_type, sealed_data, is_valid, "
    "last_verified_at, verification_error, created_at, updated_at";
inline constexpr std::string_view static_ip_rule_columns =
    "id, organization_id, label, ip_address, status, created_by_email, created_at";
inline constexpr std::string_view static_ip_rule_target_columns =
    "rule_id, resource_id, resource_name, status, provider_rule_id, applied_at, error_message";
inline constexpr std::string_view role_columns =
    "id, organization_id, name, description, max_session_hours, created_at, updated_at";
inline constexpr std::string_view session_columns =
    "id, organization_id, user_id, ipv4_address, ipv6_address, status, started_at, expires_at, "
    "ended_at, ended_reason, created_at";
inline constexpr std::string_view prefixed_session_columns =
    "s.id, s.organization_id, s.user_id, s.ipv4_address, s.ipv6_address, s.status, "
    "s.started_at, s.expires_at, s.ended_at, s.ended_reason, s.created_at";
inline constexpr std::string_view audit_columns =
    "id, organization_id, event_type, actor_email, actor_type, resource_type, resource_id, "
    "resource_name, result, ip_address, error_message, details, created_at";
inline constexpr std::string_view resource_ip_columns =
    "id, session_id, resource_id, resource_name, ip_version, ip_address, status, "
    "provider_rule_id, applied_at, removed_at, error_message";

}  // namespace scopegate::server
