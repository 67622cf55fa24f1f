// PostgresStore's credentials and the secrets key check, as queries on its pool: what the
// Store methods of the same names do (store.hpp), each change one transaction with its
// audit entry. A credential is deleted under its row lock (FOR UPDATE), which a resource
// naming it takes in share mode while it is written (lock_credential), so that no resource
// is left naming a deleted credential. Thread-safe as the pool is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/store/postgres_pool.hpp"

namespace scopegate::server::postgres {

// Locks the credential's row (`mode`: "SHARE" or "UPDATE") inside the caller's
// transaction; false when it is not in that organization.
bool lock_credential(PgConn& db, const std::string& id, const std::string& organization_id,
                     std::string_view mode);

StoreResult<Done> create_credential(PgPool& pool, const Credential& credential,
                                    const AuditEntry& audit);
StoreResult<std::vector<Credential>> list_credentials(PgPool& pool,
                                                      const std::string& organization_id);
StoreResult<std::optional<Credential>> find_credential(PgPool& pool, const std::string& id);
StoreResult<std::int64_t> delete_credential(PgPool& pool, const std::string& id,
                                            const AuditEntry& audit);
StoreResult<std::vector<Credential>> list_unchecked_credentials(PgPool& pool);
StoreResult<Done> record_credential_check(PgPool& pool, const Credential& checked,
                                          const AuditEntry& audit);
StoreResult<std::string> claim_secrets_check(PgPool& pool, const std::string& sealed);

}  // namespace scopegate::server::postgres
