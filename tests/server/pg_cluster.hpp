// A real PostgreSQL for the tests: a throwaway cluster started by tests/server/pg_cluster.sh
// (initdb into a fresh temporary directory, on tmpfs when /dev/shm has room; an
// unprivileged user, a free loopback port, the unix socket in that directory). Under ctest,
// one cluster serves the whole run (the fixture `postgres`, tests/server/pg_shared_cluster.sh,
// whose info file $SCOPEGATE_PG_SHARED names): starting one costs more than most tests. A
// test binary run by hand starts a cluster of its own on first use, stopped, its directory
// removed, when the process ends, however it ends. Either way each test takes a fresh
// database of its own, empty or migrated; in the shared cluster it is dropped when the
// process exits normally, and the end of the run removes whatever a killed process left.
// Never skipped: without PostgreSQL, shared() throws, and the test fails with the reason.
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace scopegate::server::testing {

class PgCluster {
 public:
  // The process's cluster: the ctest run's, or one started on the first call; throws
  // std::runtime_error if there is none and none can start.
  static PgCluster& shared();

  // A new empty database, as a connection URI with the superuser's password, over TCP.
  std::string create_database();
  // A new database with every migration of the PostgreSQL store applied, as the store
  // leaves one it opened: a copy (CREATE DATABASE ... TEMPLATE) of one database that
  // the first call of the cluster migrates, so that each test does not repeat the DDL.
  std::string create_migrated_database();
  // The URI of `database` with `password` (the real one when empty).
  std::string url(const std::string& database, const std::string& password = "") const;
  // Runs `sql` (no parameters) as the superuser over the unix socket, in `database`; the
  // first row's first column, or "" when there is none. Throws on error.
  std::string query(const std::string& database, const std::string& sql) const;
  std::vector<std::string> column(const std::string& database, const std::string& sql) const;

  // Every row of every table of `database`, as text: what a dump of it would show.
  std::string all_rows(const std::string& database) const;
  // The database a URI made by url() names.
  static std::string database_of(const std::string& url);

  std::uint16_t port() const { return m_port; }
  const std::string& password() const { return m_password; }

  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;
  ~PgCluster();

 private:
  PgCluster();
  void start_own();                           // a cluster for this process
  void join_shared(const std::string& info);  // the ctest run's cluster
  std::string new_database_name();
  void make_migrated_template();

  std::string m_dir;
  std::uint16_t m_port = 0;
  std::string m_password;
  int m_lifeline = -1;  // closing it stops the cluster
  int m_guardian = -1;  // pid of pg_cluster.sh
  std::mutex m_mutex;
  std::vector<std::string> m_databases;  // created here, dropped at the end
  std::once_flag m_migrated_template;
};

}  // namespace scopegate::server::testing
