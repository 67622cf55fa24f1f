// The Store on SQLite: one database file in WAL mode with foreign keys on, shared safely
// with other connections and processes. The returned store owns its connections; it is
// thread-safe, as every Store is.
#pragma once

#include <chrono>

#include <memory>
#include <string>

#include "server/store/store.hpp"

namespace scopegate::server {

// Opens (creating if needed) the database at `path` and applies every pending migration.
// `busy_timeout`: how long a statement waits for another process's lock (StoreOptions).
StoreResult<std::unique_ptr<Store>> open_sqlite_store(
    const std::string& path, std::chrono::milliseconds busy_timeout = std::chrono::seconds(5));

}  // namespace scopegate::server
