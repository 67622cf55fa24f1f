// What the tests of mail read back: the link a queued mail's log line holds (and a reset
// link asked for), and the outbox rows a sender would deliver (server/mail.hpp, docs/server.md
// "Mail").
#pragma once

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <string>
#include <vector>

#include "harness.hpp"
#include "pg_cluster.hpp"
#include "test_store.hpp"
#include "test_support.hpp"

namespace scopegate::server::testing {

// The token of the latest reset or invitation link the log shows for `email`.
inline std::string link_token_from_log(const Harness& h, const std::string& email) {
  const auto log = read_file(h.config.log_file);
  const auto line = log.rfind("mail queued in the outbox for \"" + email + "\"");
  if (line == std::string::npos) return "";
  const auto start = log.find("?token=", line);
  if (start == std::string::npos) return "";
  const auto end = log.find_first_of(" \n", start);
  return log.substr(start + 7, end - start - 7);
}

// The token of the link the log shows for `email` once it is not `previous` (the mail is
// queued after the answer that asked for it).
inline std::string next_link_from_log(const Harness& h, const std::string& email,
                                      const std::string& previous = "") {
  REQUIRE(eventually([&] {
    const auto link = link_token_from_log(h, email);
    return !link.empty() && link != previous;
  }));
  return link_token_from_log(h, email);
}

// POST /api/v1/auth/forgot-password for `email` in organization "default" (204), then the
// token of the new link the log shows for it.
inline std::string reset_link_for(const Harness& h, const std::string& email,
                                  const std::string& previous = "") {
  REQUIRE(
      h.client()
          .post("/api/v1/auth/forgot-password", {{"organizationSlug", "default"}, {"email", email}})
          .status == 204);
  return next_link_from_log(h, email, previous);
}

// The recipients of the outbox rows not sent yet, read from the database as a sender
// would read them.
inline std::vector<std::string> unsent_mail(const Harness& h) {
  const std::string sql =
      "SELECT recipient FROM mail_outbox WHERE sent_at IS NULL ORDER BY created_at";
  if (test_store() == StoreKind::postgres) {
    return PgCluster::shared().column(PgCluster::database_of(h.config.database_path), sql);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(h.config.database_path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  std::vector<std::string> out;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return out;
}

}  // namespace scopegate::server::testing
