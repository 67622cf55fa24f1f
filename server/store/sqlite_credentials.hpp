// SqliteStore's credentials and the secrets key check, as queries on its pool: what the
// Store methods of the same names do (store.hpp), each change one BEGIN IMMEDIATE
// transaction with its audit entry. Thread-safe as the pool is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/store/sqlite_pool.hpp"

namespace scopegate::server::sqlite {

// True when the credential exists in that organization (inside the caller's transaction).
bool credential_in_organization(Conn& db, const std::string& id,
                                const std::string& organization_id);

StoreResult<Done> create_credential(SqlitePool& pool, const Credential& credential,
                                    const AuditEntry& audit);
StoreResult<std::vector<Credential>> list_credentials(SqlitePool& pool,
                                                      const std::string& organization_id);
StoreResult<std::optional<Credential>> find_credential(SqlitePool& pool, const std::string& id);
StoreResult<std::int64_t> delete_credential(SqlitePool& pool, const std::string& id,
                                            const AuditEntry& audit);
StoreResult<std::vector<Credential>> list_unchecked_credentials(SqlitePool& pool);
StoreResult<Done> record_credential_check(SqlitePool& pool, const Credential& checked,
                                          const AuditEntry& audit);
StoreResult<std::string> claim_secrets_check(SqlitePool& pool, const std::string& sealed);

}  // namespace scopegate::server::sqlite
