// SQL on a test server's database, on either store, as another program would run it: for
// tests that read what the server stored, or change it behind the server's back.
#pragma once

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <string>
#include <vector>

#include "harness.hpp"
#include "pg_cluster.hpp"
#include "test_store.hpp"

namespace scopegate::server::testing {

// Runs `sql` on the harness's database, on either store, as another program would: the
// first column of every row (NULL as "").
inline std::vector<std::string> sql_rows(const Harness& h, const std::string& sql) {
  if (test_store() == StoreKind::postgres) {
    return PgCluster::shared().column(PgCluster::database_of(h.config.database_path), sql);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(h.config.database_path.c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* statement = nullptr;
  INFO(sql);
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  std::vector<std::string> out;
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(statement)) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(statement, 0);
    out.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
  }
  CHECK(step == SQLITE_DONE);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return out;
}

}  // namespace scopegate::server::testing
