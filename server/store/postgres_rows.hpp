// Row mapping for PostgresStore: the read_* functions below, reading the columns of the
// lists in columns.hpp in their order, and the conversions between record fields and
// parameters (nullopt for an absent optional text, scopes and CIDRs as one
// space-separated column, flags as 0/1). Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/store/columns.hpp"
#include "server/store/postgres_pool.hpp"
#include "server/store/records.hpp"

namespace scopegate::server::postgres {

std::string join_words(const std::vector<std::string>& words);
std::vector<std::string> split_words(const std::string& text);
inline std::string flag(bool value) { return value ? "1" : "0"; }

// Each reads the row's columns from `first` on, in the order of its list in columns.hpp.
User read_user(const Row& row, int first = 0);
Organization read_organization(const Row& row, int first);  // organization_columns
AccessToken read_token(const Row& row, int first);          // token_columns
OrgRole read_role(const Row& row);                          // role_columns, no links
ApiKey read_key(const Row& row, int first = 0);
Resource read_resource(const Row& row);
Credential read_credential(const Row& row);
Session read_session(const Row& row, int first = 0);  // no resource_ips
AuditEntry read_audit(const Row& row);
SessionResourceIp read_resource_ip(const Row& row, int first);

// Inserts the audit entry (inside the caller's transaction).
void insert_audit(PgConn& db, const AuditEntry& audit);

// The parameters of an INSERT of every column of the matching list, in its order.
std::vector<Param> audit_params(const AuditEntry& audit);
std::vector<Param> user_params(const User& user);
std::vector<Param> organization_params(const Organization& organization);  // unprefixed

std::vector<Param> session_params(const Session& session);
std::vector<Param> resource_ip_params(const std::string& session_id, const SessionResourceIp& ip);

}  // namespace scopegate::server::postgres
