// The PostgreSQL store where it differs from SQLite's: several stores (instances) on one
// database, migrations under an advisory lock, conditional session updates racing,
// connection parameters passed to libpq, and credentials kept out of what is shown. The
// behaviour both stores share is in store_test.cpp ([store]), run on each.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "pg_cluster.hpp"
#include "postgres_instances.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/open_store.hpp"
#include "server/store/postgres_migrations.hpp"
#include "server/store/postgres_pool.hpp"
#include "server/store/store.hpp"

using namespace scopegate::server;
using scopegate::server::testing::open;
using scopegate::server::testing::PgCluster;
using scopegate::server::testing::TwoInstances;

TEST_CASE("postgres: instances opening a new database together migrate it once") {
  const auto url = PgCluster::shared().create_database();
  constexpr int instances = 4;
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  std::vector<std::string> errors(instances);
  for (int i = 0; i < instances; ++i) {
    threads.emplace_back([&, i] {
      auto store = open_store(url);
      if (store) {
        ++opened;
      } else {
        errors[i] = store.error().message;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors) CHECK(error == "");
  CHECK(opened == instances);
  const auto database = PgCluster::database_of(url);
  const auto& cluster = PgCluster::shared();
  CHECK(cluster.query(database, "SELECT COUNT(*) FROM schema_migrations") ==
        std::to_string(postgres::migrations().size()));
  CHECK(cluster.query(database, "SELECT COUNT(DISTINCT version) FROM schema_migrations") ==
        std::to_string(postgres::migrations().size()));
  // Reopening applies nothing more.
  open(url);
  CHECK(cluster.query(database, "SELECT COUNT(*) FROM schema_migrations") ==
        std::to_string(postgres::migrations().size()));
}

TEST_CASE(
    "postgres: a key created, revoked or changed through one instance is current on the other") {
  TwoInstances db;
  const auto key = db.key("shared-secret");
  // Created on two: the very next authentication on one finds it.
  REQUIRE(db.two->create_key(key, nullptr));
  const auto first = db.one->authenticate_key(key.key_hash);
  REQUIRE(first);
  REQUIRE(*first != nullptr);
  CHECK_FALSE((*first)->key.revoked_at);
  // Unchanged: the same cached row.
  CHECK(*db.one->authenticate_key(key.key_hash) == *first);
  // Revoked on two: one's next authentication sees it.
  REQUIRE(db.two->revoke_key(key.id, format_stored(now()), db.audit("API_KEY_REVOKE")));
  const auto revoked = db.one->authenticate_key(key.key_hash);
  REQUIRE(revoked);
  REQUIRE(*revoked != nullptr);
  CHECK((*revoked)->key.revoked_at);
  // Changed by another program, in plain SQL: seen too.
  PgCluster::shared().query(PgCluster::database_of(db.url),
                            "UPDATE users SET is_active = 0 WHERE id = '" + db.admin.id + "'");
  const auto disabled = db.one->authenticate_key(key.key_hash);
  REQUIRE(disabled);
  CHECK_FALSE((*disabled)->user.active);
  // Deleted: gone at once.
  PgCluster::shared().query(PgCluster::database_of(db.url),
                            "DELETE FROM api_keys WHERE id = '" + key.id + "'");
  const auto deleted = db.one->authenticate_key(key.key_hash);
  REQUIRE(deleted);
  CHECK(*deleted == nullptr);
}

TEST_CASE("postgres: a request's reads share one epoch reading, which its first write ends") {
  TwoInstances db;
  const auto key = db.key("scoped-secret");
  REQUIRE(db.one->create_key(key, nullptr));
  {
    ReadScope request(*db.one);
    REQUIRE(*db.one->authenticate_key(key.key_hash) != nullptr);
    REQUIRE(db.two->revoke_key(key.id, format_stored(now()), db.audit("API_KEY_REVOKE")));
    // The request's snapshot: as it was when the request first read.
    CHECK_FALSE((*db.one->authenticate_key(key.key_hash))->key.revoked_at);
    // A write ends it: what is read after it is current.
    REQUIRE(db.one->record_key_uses({}, {db.audit("NOTHING")}));
    CHECK((*db.one->authenticate_key(key.key_hash))->key.revoked_at);
  }
  {
    ReadScope next_request(*db.one);
    CHECK((*db.one->authenticate_key(key.key_hash))->key.revoked_at);
  }
}

TEST_CASE("postgres: a session changed through one instance is never served stale by the other") {
  TwoInstances db;
  auto session = db.session();
  REQUIRE(db.one->save_session(session, std::nullopt, nullptr));
  const auto cached = db.two->find_session(session.id);
  REQUIRE(cached);
  REQUIRE(*cached != nullptr);
  CHECK(*db.two->find_session(session.id) == *cached);
  session.status = "CANCELLED";
  session.ended_reason = "MANUAL";
  REQUIRE(*db.one->save_session(session, std::string("ACTIVE"), nullptr));
  const auto now_seen = db.two->find_session(session.id);
  REQUIRE(now_seen);
  REQUIRE(*now_seen != nullptr);
  CHECK((*now_seen)->status == "CANCELLED");
}

TEST_CASE("postgres: of two instances stopping one session at once, exactly one wins") {
  TwoInstances db;
  constexpr int rounds = 40;
  std::vector<Session> sessions;
  for (int i = 0; i < rounds; ++i) {
    sessions.push_back(db.session());
    REQUIRE(db.one->save_session(sessions.back(), std::nullopt, nullptr));
  }
  std::vector<int> wins(rounds, 0);
  std::vector<int> errors(2, 0);
  const auto stop_all = [&](Store& store, int instance) {
    for (int i = 0; i < rounds; ++i) {
      auto stopped = sessions[i];
      stopped.status = "CANCELLED";
      stopped.ended_reason = "MANUAL";
      stopped.ended_at = format_stored(now());
      auto audit = db.audit("SESSION_STOP");
      const auto saved = store.save_session(stopped, std::string("ACTIVE"), &audit);
      if (!saved) {
        ++errors[instance];
      } else if (*saved) {
        __atomic_add_fetch(&wins[i], 1, __ATOMIC_SEQ_CST);
      }
    }
  };
  std::thread a([&] { stop_all(*db.one, 0); });
  std::thread b([&] { stop_all(*db.two, 1); });
  a.join();
  b.join();
  CHECK(errors == std::vector<int>{0, 0});
  for (int i = 0; i < rounds; ++i) CHECK(wins[i] == 1);
  // One audit entry per stop that won: nothing written by the losers.
  AuditFilter stops{
      db.org.id, std::string("SESSION_STOP"), std::nullopt, std::nullopt, std::nullopt, 0, 1};
  CHECK(db.one->query_audit(stops)->total == rounds);
}

TEST_CASE("postgres: the URI's parameters reach libpq, sslmode included") {
  auto& cluster = PgCluster::shared();
  const auto url = cluster.create_database();
  // The test cluster has no TLS: requiring it must fail, and disabling it must work.
  const auto required = open_store(url + "?sslmode=require");
  REQUIRE_FALSE(required);
  CHECK(required.error().message.find("SSL") != std::string::npos);
  CHECK(open_store(url + "?sslmode=disable"));
  CHECK(open_store(url + "?sslmode=prefer&application_name=scopegate-test"));
  const auto bad = open_store(url + "?sslmode=sometimes");
  CHECK_FALSE(bad);
}

TEST_CASE("postgres: a refused password is not repeated in the error") {
  auto& cluster = PgCluster::shared();
  const auto database = PgCluster::database_of(cluster.create_database());
  const auto refused = open_store(cluster.url(database, "wrong-password-4242"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("password authentication failed") != std::string::npos);
  CHECK(refused.error().message.find("wrong-password-4242") == std::string::npos);
}

TEST_CASE("a database location names its store, and shows no password when logged") {
  struct Row {
    std::string location;
    StoreKind kind;
    std::string shown;
  };
  const std::vector<Row> rows = {
      {"./scopegate.db", StoreKind::sqlite, "./scopegate.db"},
      {"sqlite:/var/lib/scopegate/db", StoreKind::sqlite, "sqlite:/var/lib/scopegate/db"},
      {"postgresql://sg@db.internal:5432/scopegate", StoreKind::postgres,
       "postgresql://sg@db.internal:5432/scopegate"},
      {"postgresql://sg:s3cret@db.internal:5432/scopegate?sslmode=verify-full", StoreKind::postgres,
       "postgresql://sg:***@db.internal:5432/scopegate?sslmode=verify-full"},
      {"postgres://sg:p@ss:w@rd@10.0.0.5/scopegate", StoreKind::postgres,
       "postgres://sg:***@10.0.0.5/scopegate"},
      {"postgresql://sg@h1:5432,h2:5432/sg?password=s3cret&sslmode=require", StoreKind::postgres,
       "postgresql://sg@h1:5432,h2:5432/sg?password=***&sslmode=require"},
      {"postgresql://sg:s3cret@/scopegate?host=/run/postgresql", StoreKind::postgres,
       "postgresql://sg:***@/scopegate?host=/run/postgresql"},
      {"postgresql://", StoreKind::postgres, "postgresql://"},
  };
  for (const auto& row : rows) {
    INFO(row.location);
    CHECK(store_kind(row.location) == row.kind);
    CHECK(redact_location(row.location) == row.shown);
  }
}

TEST_CASE("postgres: connections the server closed while idle are replaced, and no call fails") {
  TwoInstances db;
  const auto key = db.key("restart-secret");
  REQUIRE(db.one->create_key(key, nullptr));
  REQUIRE(*db.one->authenticate_key(key.key_hash) != nullptr);
  // What a database restart does to every pooled connection.
  const auto database = PgCluster::database_of(db.url);
  PgCluster::shared().query(database,
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                            "datname = current_database() AND pid <> pg_backend_pid()");
  for (int i = 0; i < 200; ++i) {  // pg_terminate_backend() only signals them
    if (PgCluster::shared().query(database,
                                  "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() AND pid <> pg_backend_pid()") == "0")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto after = db.one->authenticate_key(key.key_hash);
  INFO((after ? "" : after.error().message));
  REQUIRE(after);
  CHECK(*after != nullptr);
  CHECK(db.two->find_key(key.id));
}

TEST_CASE("postgres: a statement the database does not answer in time fails, and the next works") {
  auto& cluster = PgCluster::shared();
  const auto url = cluster.create_migrated_database();
  auto store =
      open_store(url, StoreOptions{Revocation::every_request, std::chrono::milliseconds(300)});
  REQUIRE(store);
  REQUIRE((*store)->authenticate_key(sha256_hex("not-a-key")));
  // Another session holds the key table: the store's next lookup waits for the lock,
  // and would wait as long as the lock is held (or the database is stopped).
  postgres::PgConn locker(url, std::chrono::milliseconds(0));
  locker.exec_plain("BEGIN; LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE");
  const auto started = std::chrono::steady_clock::now();
  const auto blocked = (*store)->authenticate_key(sha256_hex("not-a-key"));
  const auto waited = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(blocked);
  CHECK(blocked.error().message == "PostgreSQL: no answer within 300 ms");
  CHECK(waited >= std::chrono::milliseconds(300));
  CHECK(waited < std::chrono::seconds(5));
  locker.exec_plain("COMMIT");
  // The connection that timed out is dropped; a new one answers.
  const auto after = (*store)->authenticate_key(sha256_hex("not-a-key"));
  REQUIRE(after);
  CHECK(*after == nullptr);
}
