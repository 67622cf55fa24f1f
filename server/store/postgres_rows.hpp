// Row mapping for PostgresStore: the column lists its statements select, in the order the
// read_* functions below expect them, and the conversions between record fields and
// parameters (nullopt for an absent optional text, scopes and CIDRs as one
// space-separated column, flags as 0/1). The schema is SQLite's (migrations.cpp), so the
// lists are those of sqlite_rows.hpp. Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/store/postgres_pool.hpp"
#include "server/store/records.hpp"

namespace scopegate::server::postgres {

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
inline constexpr std::string_view resource_ip_columns =
    "id, session_id, resource_id, resource_name, ip_version, ip_address, status, "
    "provider_rule_id, applied_at, removed_at, error_message";
inline constexpr std::string_view audit_columns =
    "id, organization_id, event_type, actor_email, actor_type, resource_type, resource_id, "
    "resource_name, result, ip_address, error_message, details, created_at";

std::string join_words(const std::vector<std::string>& words);
std::vector<std::string> split_words(const std::string& text);
inline std::string flag(bool value) { return value ? "1" : "0"; }

// Each reads the row's columns from `first` on, in the order of the matching list above.
User read_user(const Row& row, int first = 0);
Organization read_organization(const Row& row, int first);  // id, slug, name, created_at
ApiKey read_key(const Row& row, int first = 0);
Resource read_resource(const Row& row);
Session read_session(const Row& row, int first = 0);  // no resource_ips
AuditEntry read_audit(const Row& row);
SessionResourceIp read_resource_ip(const Row& row, int first);

// The parameters of an INSERT of every column of the matching list, in its order.
std::vector<Param> audit_params(const AuditEntry& audit);
std::vector<Param> session_params(const Session& session);
std::vector<Param> resource_ip_params(const std::string& session_id, const SessionResourceIp& ip);

}  // namespace scopegate::server::postgres
