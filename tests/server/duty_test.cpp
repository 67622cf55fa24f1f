// Store::hold_duty(): on PostgreSQL one instance at a time holds a duty (an advisory lock
// on a connection of its own), and another takes it over when the holder closes or its
// connection dies; on SQLite every process holds every duty.
#include <catch2/catch.hpp>

#include <thread>

#include "postgres_instances.hpp"
#include "server/store/postgres_duties.hpp"
#include "test_support.hpp"

using namespace scopegate::server;
using scopegate::server::testing::open;
using scopegate::server::testing::TempDir;
using scopegate::server::testing::TwoInstances;

namespace {

bool holds(Store& store, const std::string& duty) {
  const auto held = store.hold_duty(duty);
  INFO((held ? "" : held.error().message));
  REQUIRE(held);
  return *held;
}

// Asks every 10 ms, for 3 s at most.
bool eventually_holds(Store& store, const std::string& duty) {
  for (int i = 0; i < 300; ++i) {
    if (holds(store, duty)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("postgres: a duty is held by one instance at a time, and taken over when it goes") {
  TwoInstances db;
  CHECK(holds(*db.one, "sweeper"));
  CHECK_FALSE(holds(*db.two, "sweeper"));
  CHECK(holds(*db.one, "sweeper"));  // kept, not taken twice

  // The holder closes: the other takes the duty on its next call.
  db.one.reset();
  CHECK(eventually_holds(*db.two, "sweeper"));
  auto third = open(db.url);
  CHECK_FALSE(holds(*third, "sweeper"));

  // The holder's connection ended by the server, as when its process is killed.
  CHECK(db.query("SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a "
                 "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND a.datname = "
                 "current_database() AND a.application_name = '" +
                 std::string(postgres::PgDuties::application_name) + "' LIMIT 1") == "t");
  CHECK(eventually_holds(*third, "sweeper"));
  CHECK_FALSE(holds(*db.two, "sweeper"));
  CHECK(holds(*db.two, "reports"));  // another duty is another lock
  CHECK_FALSE(holds(*third, "reports"));
  CHECK(db.query("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                 "(SELECT oid FROM pg_database WHERE datname = current_database())") == "2");
}

TEST_CASE("sqlite: every process on a database file holds every duty") {
  TempDir dir;
  const auto path = dir.file("duty.db");
  auto one = open(path);
  auto two = open(path);
  CHECK(holds(*one, "sweeper"));
  CHECK(holds(*two, "sweeper"));
}
