#include "pg_cluster.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string_view>

#include "http_client.hpp"
#include "server/store/open_store.hpp"

extern char** environ;

namespace scopegate::server::testing {

namespace {

// The database create_migrated_database() copies, made once a cluster.
constexpr std::string_view migrated_template = "scopegate_migrated_template";
constexpr std::string_view lower_letters_and_digits = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view letters_and_digits =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// `count` characters drawn at random from `alphabet`.
std::string random_text(std::size_t count, std::string_view alphabet) {
  std::random_device device;
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += alphabet[device() % alphabet.size()];
  return out;
}

// Where a cluster's files go: pg_cluster.sh chooses (`pg_cluster.sh base`), for this
// process as for pg_shared_cluster.sh.
std::filesystem::path cluster_base() {
  const std::string command = "/bin/sh '" SCOPEGATE_SOURCE_DIR "/tests/server/pg_cluster.sh' base";
  FILE* pipe = ::popen(command.c_str(), "re");
  if (pipe == nullptr) throw std::runtime_error("cannot run tests/server/pg_cluster.sh base");
  std::string base;
  for (int c = std::fgetc(pipe); c != EOF && c != '\n'; c = std::fgetc(pipe)) {
    base += static_cast<char>(c);
  }
  if (::pclose(pipe) != 0 || base.empty()) {
    throw std::runtime_error("tests/server/pg_cluster.sh base failed");
  }
  return base;
}

// Reads what the script prints up to its first newline (or its end).
std::string read_line(int fd) {
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

}  // namespace

PgCluster& PgCluster::shared() {
  static PgCluster cluster;
  return cluster;
}

PgCluster::PgCluster() {
  if (const char* info = std::getenv("SCOPEGATE_PG_SHARED"); info != nullptr && *info != '\0') {
    join_shared(info);
  } else {
    start_own();
  }
}

void PgCluster::join_shared(const std::string& info) {
  std::ifstream in(info);
  std::string line;
  std::string port;
  std::string error;
  while (std::getline(in, line)) {
    const auto equals = line.find('=');
    if (equals == std::string::npos) continue;
    const auto name = line.substr(0, equals);
    const auto value = line.substr(equals + 1);
    if (name == "dir") m_dir = value;
    if (name == "port") port = value;
    if (name == "password") m_password = value;
    if (name == "error") error = value;
  }
  if (!error.empty()) throw std::runtime_error("the ctest run's PostgreSQL cluster: " + error);
  if (m_dir.empty() || port.empty() || m_password.empty()) {
    throw std::runtime_error("the ctest run's PostgreSQL cluster did not start (" + info +
                             " is missing or incomplete): see the test `postgres: the tests' "
                             "cluster starts`");
  }
  m_port = static_cast<std::uint16_t>(std::stoi(port));
}

void PgCluster::start_own() {
  m_password = random_text(24, letters_and_digits);
  ::setenv("SCOPEGATE_PG_PASSWORD", m_password.c_str(), 1);
  // initdb once per build folder (pg_cluster.sh); the caller may choose another place.
  ::setenv("SCOPEGATE_PG_TEMPLATE_DIR", SCOPEGATE_BINARY_DIR "/pg-template", 0);
  std::string last_error;
  // A port found free may be taken before the server binds it: try another.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string pattern = (cluster_base() / "scopegate-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    m_dir = pattern;
    m_port = free_port();
    int lifeline[2];
    int status[2];
    // Close-on-exec, so that no server the tests spawn holds the lifeline open.
    if (::pipe2(lifeline, O_CLOEXEC) != 0 || ::pipe2(status, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, lifeline[0], 0);
    posix_spawn_file_actions_adddup2(&actions, status[1], 1);
    // Its own process group: a Ctrl-C meant for the tests leaves it to clean up.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    const std::string script = SCOPEGATE_SOURCE_DIR "/tests/server/pg_cluster.sh";
    const std::string port = std::to_string(m_port);
    std::vector<char*> argv = {const_cast<char*>("/bin/sh"), const_cast<char*>(script.c_str()),
                               m_dir.data(), const_cast<char*>(port.c_str()), nullptr};
    pid_t pid = 0;
    const int failed = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(lifeline[0]);
    ::close(status[1]);
    if (failed != 0) throw std::runtime_error("cannot run tests/server/pg_cluster.sh");
    const auto line = read_line(status[0]);
    ::close(status[0]);
    if (line == "ready") {
      m_lifeline = lifeline[1];
      m_guardian = pid;
      return;
    }
    ::close(lifeline[1]);
    ::waitpid(pid, nullptr, 0);
    last_error = line.empty() ? "tests/server/pg_cluster.sh exited without a word" : line;
    if (line.find("did not start") == std::string::npos) break;  // only a port can be retried
  }
  throw std::runtime_error("cannot start the test PostgreSQL cluster: " + last_error);
}

PgCluster::~PgCluster() {
  // In a shared cluster, the databases would outlive the process (some 8 MB each).
  if (m_lifeline < 0) {
    for (const auto& name : m_databases) {
      try {
        query("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } catch (const std::exception&) {
        // Left to the end of the run, which removes the whole cluster.
      }
    }
    return;
  }
  ::close(m_lifeline);
  ::waitpid(m_guardian, nullptr, 0);
}

std::string PgCluster::url(const std::string& database, const std::string& password) const {
  return "postgresql://scopegate:" + (password.empty() ? m_password : password) +
         "@127.0.0.1:" + std::to_string(m_port) + "/" + database;
}

std::string PgCluster::query(const std::string& database, const std::string& sql) const {
  const auto values = column(database, sql);
  return values.empty() ? "" : values.front();
}

std::string PgCluster::all_rows(const std::string& database) const {
  std::string out;
  for (const auto& table :
       column(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
    out += table + ":\n" +
           query(database, "SELECT string_agg(t::text, E'\\n') FROM " + table + " t") + "\n";
  }
  return out;
}

std::string PgCluster::database_of(const std::string& url) {
  return url.substr(url.rfind('/') + 1);
}

std::vector<std::string> PgCluster::column(const std::string& database,
                                           const std::string& sql) const {
  const std::string conninfo =
      "host=" + m_dir + " port=" + std::to_string(m_port) + " user=scopegate dbname=" + database;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("test cluster: ") + PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(result.get()));
  std::vector<std::string> values;
  if (PQnfields(result.get()) == 0) return values;
  for (int row = 0; row < PQntuples(result.get()); ++row)
    values.push_back(PQgetvalue(result.get(), row, 0));
  return values;
}

std::string PgCluster::new_database_name() {
  // Unique in the cluster, which other test processes share: one that ended without
  // dropping its databases may have had the same pid.
  std::lock_guard lock(m_mutex);
  // Lower case: SQL folds the unquoted name, a connection's database name does not.
  auto name = "scopegate_" + std::to_string(::getpid()) + "_" +
              std::to_string(m_databases.size() + 1) + "_" +
              random_text(6, lower_letters_and_digits);
  m_databases.push_back(name);
  return name;
}

std::string PgCluster::create_database() {
  const auto name = new_database_name();
  query("postgres", "CREATE DATABASE " + name);
  return url(name);
}

std::string PgCluster::create_migrated_database() {
  std::call_once(m_migrated_template, [this] { make_migrated_template(); });
  const auto name = new_database_name();
  // CREATE DATABASE waits (up to 5 s) for the template's last connections to close.
  query("postgres", "CREATE DATABASE " + name + " TEMPLATE " + std::string(migrated_template));
  return url(name);
}

void PgCluster::make_migrated_template() {
  const auto exists = [this] {
    return !query("postgres", "SELECT 1 FROM pg_database WHERE datname = '" +
                                  std::string(migrated_template) + "'")
                .empty();
  };
  if (exists()) return;  // made by another test process of the run
  // Made under a name of this process's, then renamed: of test processes making it at the
  // same time, the first rename wins and the others' copies are dropped with their own.
  const auto scratch = new_database_name();
  query("postgres", "CREATE DATABASE " + scratch);
  {
    auto store = open_store(url(scratch));
    if (!store) {
      throw std::runtime_error("cannot migrate the tests' template database: " +
                               store.error().message);
    }
  }
  try {
    query("postgres", "ALTER DATABASE " + scratch + " RENAME TO " + std::string(migrated_template));
  } catch (const std::exception&) {
    if (!exists()) throw;
    return;
  }
  std::lock_guard lock(m_mutex);
  std::erase(m_databases, scratch);  // the cluster's now: other processes copy it
}

}  // namespace scopegate::server::testing
