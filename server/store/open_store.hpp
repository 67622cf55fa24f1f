// Which Store a database location means, and how to name it in logs. A location is a
// PostgreSQL connection URI (`postgresql://` or `postgres://`, libpq's syntax, `sslmode`
// and every other parameter passed through) or a SQLite database: `sqlite:PATH` or a
// plain path. Pure functions but open_store(), which opens (and migrates) the store.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "server/store/store.hpp"

namespace scopegate::server {

enum class StoreKind { sqlite, postgres };

// How a store learns of changes that other processes sharing its database commit (a key
// revoked, a session stopped, through another instance):
//   every_request  authenticate_key() and find_session() read the epochs behind their
//                  caches on every request: a change is honoured by the next request (on
//                  PostgreSQL, one round trip per request).
//   notify         PostgreSQL only: the epochs are kept in memory, re-read on each
//                  notification of a change and at least every 250 ms (EpochWatch,
//                  postgres_epoch_watch.hpp), so cached keys and sessions cost no round
//                  trip; a change committed elsewhere is honoured within 1 s at most.
// SQLite reads its epochs on every request whatever this says (no round trip there).
enum class Revocation { every_request, notify };

struct StoreOptions {
  Revocation revocation = Revocation::every_request;
  // How long a statement waits before its request fails with StoreError::unavailable:
  // for another connection's lock on SQLite (its busy timeout); for its answer (and a
  // connection for its setup) on PostgreSQL, whose connection that timed out is dropped.
  std::chrono::milliseconds timeout{5000};
};

// "every-request" or "notify", as the configuration spells them.
std::string_view revocation_name(Revocation revocation);

StoreKind store_kind(std::string_view location);

// The file a SQLite location names: the location without its `sqlite:` prefix.
std::string sqlite_file(std::string_view location);

// The location with any password (in the URI's user information or a `password`
// parameter) replaced by `***`: the only form of a location that may be logged or shown.
std::string redact_location(std::string_view location);

// Opens the store the location names, applying every pending migration.
StoreResult<std::unique_ptr<Store>> open_store(const std::string& location,
                                               const StoreOptions& options = {});

}  // namespace scopegate::server
