// PostgresStore's resource writes (store.hpp: create_resource, update_resource), each one
// transaction on the caller's connection with its audit entry: a creation counts the
// organization's resources under its row lock (FOR UPDATE), an update never inserts; both
// hold the credential's row in share mode (lock_credential) while they write.
#pragma once

#include <cstdint>
#include <optional>

#include "server/store/postgres_pool.hpp"

namespace scopegate::server::postgres {

Store::ResourceWrite create_resource(PgConn& db, const Resource& r, const AuditEntry& audit,
                                     std::optional<std::int64_t> max_resources);
Store::ResourceWrite update_resource(PgConn& db, const Resource& r, const AuditEntry& audit);

}  // namespace scopegate::server::postgres
