// Row mapping for SqliteStore: the column lists its statements select, in the order the
// read_* functions below expect them, and the conversions between record fields and
// SQLite values (NULL for an absent optional text, scopes and CIDRs as one
// space-separated column). Pure functions over a statement the caller owns and has
// stepped to a row; no state, safe from any thread that owns its statement.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/store/records.hpp"

namespace scopegate::server::sqlite {

inline constexpr std::string_view user_columns =
    "id, organization_id, email, name, role, password_hash, is_active, created_at, last_login_at";
inline constexpr std::string_view prefixed_user_columns =
    "u.id, u.organization_id, u.email, u.name, u.role, u.password_hash, u.is_active, "
    "u.created_at, u.last_login_at";
inline constexpr std::string_view key_columns =
    "k.id, k.organization_id, k.created_by, u.email, k.name, k.description, k.key_prefix, "
    "k.key_hash, k.scopes, k.expires_at, k.revoked_at, k.last_used_at, k.last_used_ip, "
    "k.created_at, k.allowed_cidrs";
inline constexpr std::string_view resource_columns =
    "r.id, r.organization_id, r.name, r.credential_id, r.provider, r.resource_type, "
    "r.resource_identifier, r.region, r.config, r.is_active, r.last_verified_at, r.created_at, "
    "r.updated_at";
inline constexpr std::string_view session_columns =
    "id, organization_id, user_id, ipv4_address, ipv6_address, status, started_at, expires_at, "
    "ended_at, ended_reason, created_at";
inline constexpr std::string_view prefixed_session_columns =
    "s.id, s.organization_id, s.user_id, s.ipv4_address, s.ipv6_address, s.status, "
    "s.started_at, s.expires_at, s.ended_at, s.ended_reason, s.created_at";
inline constexpr std::string_view audit_columns =
    "id, organization_id, event_type, actor_email, actor_type, resource_type, resource_id, "
    "resource_name, result, ip_address, error_message, details, created_at";

// Binds NULL for an absent value.
void bind_text(SQLite::Statement& statement, int index, const OptionalText& value);
// Nullopt for NULL.
std::optional<std::int64_t> optional_integer(SQLite::Statement& statement, int index);
OptionalText column_text(SQLite::Statement& statement, int index);

// Scopes and CIDRs are stored as one space-separated column.
std::string join_scopes(const std::vector<std::string>& scopes);
std::vector<std::string> split_scopes(const std::string& text);

// Each reads the row's columns from `first` on, in the order of the matching list above.
User read_user(SQLite::Statement& s, int first = 0);              // user_columns
Organization read_organization(SQLite::Statement& s, int first);  // id, slug, name, created_at
ApiKey read_key(SQLite::Statement& s, int first = 0);             // key_columns
Resource read_resource(SQLite::Statement& s);                     // resource_columns
Session read_session(SQLite::Statement& s);   // session_columns, no resource_ips
AuditEntry read_audit(SQLite::Statement& s);  // audit_columns
// id, session_id, resource_id, resource_name, ip_version, ip_address, status,
// provider_rule_id, applied_at, removed_at, error_message
SessionResourceIp read_resource_ip(SQLite::Statement& s, int first);

}  // namespace scopegate::server::sqlite
