// Row mapping for SqliteStore: the read_* functions below, reading the columns of the
// lists in columns.hpp in their order, and the conversions between record fields and
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

#include "server/store/columns.hpp"
#include "server/store/records.hpp"
#include "server/store/sqlite_pool.hpp"

namespace scopegate::server::sqlite {

// Binds NULL for an absent value.
void bind_text(SQLite::Statement& statement, int index, const OptionalText& value);
// Nullopt for NULL.
std::optional<std::int64_t> optional_integer(SQLite::Statement& statement, int index);
OptionalText column_text(SQLite::Statement& statement, int index);

// Scopes and CIDRs are stored as one space-separated column.
std::string join_scopes(const std::vector<std::string>& scopes);
std::vector<std::string> split_scopes(const std::string& text);

// Inserts the audit entry (inside the caller's write transaction).
void insert_audit(Conn& db, const AuditEntry& audit);

// Each reads the row's columns from `first` on, in the order of its list in columns.hpp.
User read_user(SQLite::Statement& s, int first = 0);              // user_columns
Organization read_organization(SQLite::Statement& s, int first);  // organization_columns
AccessToken read_token(SQLite::Statement& s, int first);          // token_columns
OrgRole read_role(SQLite::Statement& s);                          // role_columns, no links
ApiKey read_key(SQLite::Statement& s, int first = 0);             // key_columns
Resource read_resource(SQLite::Statement& s);                     // resource_columns
Credential read_credential(SQLite::Statement& s);                 // credential_columns
Session read_session(SQLite::Statement& s);   // session_columns, no resource_ips
AuditEntry read_audit(SQLite::Statement& s);  // audit_columns
// id, session_id, resource_id, resource_name, ip_version, ip_address, status,
// provider_rule_id, applied_at, removed_at, error_message
SessionResourceIp read_resource_ip(SQLite::Statement& s, int first);

}  // namespace scopegate::server::sqlite
