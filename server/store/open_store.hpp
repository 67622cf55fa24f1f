// Which Store a database location means, and how to name it in logs. A location is a
// PostgreSQL connection URI (`postgresql://` or `postgres://`, libpq's syntax, `sslmode`
// and every other parameter passed through) or a SQLite database: `sqlite:PATH` or a
// plain path. Pure functions but open_store(), which opens (and migrates) the store.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "server/store/store.hpp"

namespace scopegate::server {

enum class StoreKind { sqlite, postgres };

StoreKind store_kind(std::string_view location);

// The location with any password (in the URI's user information or a `password`
// parameter) replaced by `***`: the only form of a location that may be logged or shown.
std::string redact_location(std::string_view location);

// Opens the store the location names, applying every pending migration.
StoreResult<std::unique_ptr<Store>> open_store(const std::string& location);

}  // namespace scopegate::server
