// The Store on PostgreSQL (libpq): one database that any number of `scopegate serve`
// instances share. Opening it applies the pending migrations in one transaction under an
// advisory lock, so instances starting together migrate once. The returned store owns its
// connections; it is thread-safe, as every Store is.
#pragma once

#include <memory>
#include <string>

#include "server/store/open_store.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

// `url`: a libpq connection URI (postgresql:// or postgres://); every parameter, sslmode
// included, goes to libpq as it is. Errors never hold the URI's password. With
// Revocation::notify the store runs an EpochWatch (a thread and a listening connection).
StoreResult<std::unique_ptr<Store>> open_postgres_store(const std::string& url,
                                                        const StoreOptions& options = {});

}  // namespace scopegate::server
