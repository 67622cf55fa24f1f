// SqliteStore's resource writes (store.hpp: create_resource, update_resource), each one
// BEGIN IMMEDIATE transaction on the caller's connection with its audit entry: a creation
// counts the organization's resources under that lock, an update never inserts.
#pragma once

#include <cstdint>
#include <optional>

#include "server/store/sqlite_pool.hpp"

namespace scopegate::server::sqlite {

Store::ResourceWrite create_resource(Conn& db, const Resource& r, const AuditEntry& audit,
                                     std::optional<std::int64_t> max_resources);
Store::ResourceWrite update_resource(Conn& db, const Resource& r, const AuditEntry& audit);

}  // namespace scopegate::server::sqlite
