// The store the server test suites run on, their parameter: SQLite by default; with
// SCOPEGATE_TEST_STORE=postgres, PostgreSQL (tests/server/CMakeLists.txt registers the
// store-level and end-to-end suites once per store). new_test_database() gives each test
// a fresh empty database of that store: a file in the test's folder, or a database of its
// own in the process's throwaway cluster (pg_cluster.hpp).
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#include "pg_cluster.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/open_store.hpp"
#include "server/store/records.hpp"
#include "test_support.hpp"

namespace scopegate::server::testing {

inline StoreKind test_store() {
  const char* chosen = std::getenv("SCOPEGATE_TEST_STORE");
  return chosen != nullptr && std::string_view(chosen) == "postgres" ? StoreKind::postgres
                                                                     : StoreKind::sqlite;
}

inline std::string new_test_database(const TempDir& dir) {
  if (test_store() == StoreKind::postgres) return PgCluster::shared().create_database();
  return dir.file("scopegate.db");
}

// The same, for a test that opens it only through the store (as the server does): on
// PostgreSQL, already migrated (a copy of a database migrated once a run), which saves each
// end-to-end test the migrations' DDL; an SQLite file is new, and migrates in milliseconds.
inline std::string new_test_database_for_store(const TempDir& dir) {
  if (test_store() == StoreKind::postgres) return PgCluster::shared().create_migrated_database();
  return dir.file("scopegate.db");
}

}  // namespace scopegate::server::testing
