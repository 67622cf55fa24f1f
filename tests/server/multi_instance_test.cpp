// Several `scopegate serve` processes on one PostgreSQL database, acting as one service:
// the real binary, each instance on its own loopback port, the database in the test
// process's throwaway cluster (pg_cluster.hpp). What one instance writes, every other
// honours on its next request; a session's state changes race safely; an instance killed
// under write load loses no acknowledged write.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "harness.hpp"
#include "http_client.hpp"
#include "pg_cluster.hpp"
#include "test_support.hpp"

extern char** environ;

using namespace scopegate::server::testing;
using scopegate::testing::contains;
using scopegate::testing::count_of;
using Headers = std::map<std::string, std::string>;

namespace {

constexpr const char* instances_admin_password = "multi-instance-admin-password";

// One `scopegate serve` on `url`, stopped with SIGTERM (or killed) when it goes. The
// first instance takes the database from --db, the others from `[database] url` in a
// config file: both ways of choosing the store. It listens on a port the kernel chooses,
// read from its log: a port found free beforehand may be taken before the server binds it
// (by a client's connection, or another test's server).
class Instance {
 public:
  Instance(const TempDir& dir, const std::string& name, const std::string& url, bool url_in_config,
           const std::string& database_config = "")
      : m_output(dir.file(name + ".out")), m_log(dir.file(name + ".log")) {
    const auto config = dir.write(
        name + ".toml", fmt::format("[server]\nlisten = \"127.0.0.1:0\"\n[policy]\ndirectory = "
                                    "\"{}\"\n[log]\nfile = \"{}\"\n[sessions]\n"
                                    "sweep_interval_seconds = 1\n{}",
                                    SCOPEGATE_SOURCE_DIR "/policies", m_log,
                                    "[database]\n" + database_config +
                                        (url_in_config ? "url = \"" + url + "\"\n" : "")));
    std::vector<std::string> args = {SCOPEGATE_BINARY_DIR "/scopegate", "serve", "--config",
                                     config.string()};
    if (!url_in_config) args.insert(args.end(), {"--db", url});
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, m_output.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int failed = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(failed == 0);
  }
  ~Instance() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGTERM);
    ::waitpid(m_pid, nullptr, 0);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  bool wait_healthy() {
    for (int i = 0; i < 200; ++i) {
      try {
        if (m_port == 0) m_port = logged_port(m_log);
        if (m_port != 0 && client().get("/healthz").status == 200) return true;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void kill_hard() {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    m_pid = -1;
  }
  // Stops it with SIGTERM; true when it exited 0.
  bool stop() {
    ::kill(m_pid, SIGTERM);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
    m_pid = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  Client client() const { return Client(m_port); }
  std::uint16_t port() const { return m_port; }
  std::string output() const { return read_file(m_output); }
  std::string log() const { return read_file(m_log); }

 private:
  std::uint16_t m_port = 0;  // known once it has logged it (wait_healthy)
  std::string m_output;
  std::string m_log;
  pid_t m_pid = -1;
};

Headers sign_in(const Client& client) {
  const auto reply = client.post("/api/v1/auth/login", {{"organizationSlug", "default"},
                                                        {"email", "admin@localhost"},
                                                        {"password", instances_admin_password}});
  REQUIRE(reply.status == 200);
  return {{"Authorization", "Bearer " + reply.json().at("accessToken").get<std::string>()}};
}

// On PostgreSQL the secrets key must be configured, the same on every instance.
constexpr const char* secrets_key =
    "3f1c0c9a4d5e6b7a8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d";

// `count` instances on one new database, started together and all healthy, each with
// `database_config` in its [database] table (the default: revocation = "notify").
struct Service {
  TempDir dir;
  std::string url = PgCluster::shared().create_database();
  std::vector<std::unique_ptr<Instance>> instances;

  explicit Service(int count, const std::string& database_config = "") {
    setenv("SCOPEGATE_ADMIN_PASSWORD", instances_admin_password, 1);
    setenv("SCOPEGATE_SECRETS_KEY", secrets_key, 1);  // one key for every instance
    for (int i = 0; i < count; ++i) {
      instances.push_back(std::make_unique<Instance>(dir, "instance" + std::to_string(i), url,
                                                     i > 0, database_config));
    }
    for (const auto& instance : instances) {
      INFO(instance->output());
      REQUIRE(instance->wait_healthy());
    }
  }
  Instance& operator[](int i) { return *instances[i]; }
  std::string query(const std::string& sql) const {
    return PgCluster::shared().query(PgCluster::database_of(url), sql);
  }
};

}  // namespace

TEST_CASE(
    "instances: started together on a new database, they bootstrap it once and log no password") {
  Service service(2);
  int announced = 0;
  for (const auto& instance : service.instances) {
    if (contains(instance->output(), "created organization `default`")) ++announced;
  }
  CHECK(announced == 1);
  CHECK(service.query("SELECT COUNT(*) FROM organizations") == "1");
  CHECK(service.query("SELECT COUNT(*) FROM users") == "1");
  const auto& password = PgCluster::shared().password();
  for (const auto& instance : service.instances) {
    const auto log = instance->log();
    INFO(log);
    CHECK(contains(log, "database postgresql://scopegate:***@127.0.0.1:"));
    CHECK(contains(log, ": PostgreSQL 15."));
    CHECK_FALSE(contains(log, password));
    CHECK_FALSE(contains(instance->output(), password));
  }
}

// A key with sessions:read and sessions:write, made on `on`.
struct NewKey {
  std::string key;
  std::string id;
};
NewKey new_key(const Instance& on, const Headers& admin) {
  const auto created = on.client().post(
      "/api/v1/api-keys", {{"name", "ci"}, {"scopes", {"sessions:read", "sessions:write"}}}, admin);
  REQUIRE(created.status == 201);
  return {created.json().at("plainTextKey").get<std::string>(),
          created.json().at("id").get<std::string>()};
}

// A key made on instance 0 and used on every instance (so cached by each).
NewKey key_used_everywhere(Service& service, const Headers& admin) {
  auto made = new_key(service[0], admin);
  for (std::size_t i = 0; i < service.instances.size(); ++i)
    CHECK(service[i].client().get("/api/v1/sessions", with_key(made.key)).status == 200);
  return made;
}

TEST_CASE(
    "instances: with revocation = every-request, a key made on one works on the others, and "
    "revoked on one is refused by all at once") {
  Service service(3, "revocation = \"every-request\"\n");
  const auto admin = sign_in(service[0].client());  // tokens are shared too
  const auto [key, id] = key_used_everywhere(service, admin);
  const auto revoked = service[2].client().send("DELETE", "/api/v1/api-keys/" + id, admin);
  REQUIRE(revoked.status / 100 == 2);
  // The very next request on every instance, with no wait.
  for (int i = 0; i < 3; ++i) {
    INFO("instance " << i);
    CHECK(service[i].client().get("/api/v1/sessions", with_key(key)).status == 401);
  }
}

TEST_CASE(
    "instances: with revocation = notify (the default), a key revoked on one is refused by the "
    "others within 1 s, and by itself at once") {
  Service service(3);
  for (const auto& instance : service.instances)
    CHECK(contains(instance->log(), "revocation = notify"));
  const auto admin = sign_in(service[0].client());
  const auto [key, id] = key_used_everywhere(service, admin);
  const auto revoked = service[2].client().send("DELETE", "/api/v1/api-keys/" + id, admin);
  REQUIRE(revoked.status / 100 == 2);
  const auto bound = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  CHECK(service[2].client().get("/api/v1/sessions", with_key(key)).status == 401);
  for (int i = 0; i < 2; ++i) {
    INFO("instance " << i);
    CHECK(eventually(
        [&] { return service[i].client().get("/api/v1/sessions", with_key(key)).status == 401; },
        std::chrono::duration_cast<std::chrono::milliseconds>(bound -
                                                              std::chrono::steady_clock::now())));
  }
}

TEST_CASE("instances: a session started on one is seen and stopped on another") {
  Service service(2);
  const auto admin = sign_in(service[0].client());
  const auto key = new_key(service[0], admin).key;

  const auto started =
      service[1].client().post("/api/v1/sessions", {{"durationHours", 2}}, with_key(key));
  REQUIRE(started.status == 201);
  const auto id = started.json().at("id").get<std::string>();
  const auto seen = service[0].client().get("/api/v1/sessions/" + id, with_key(key));
  REQUIRE(seen.status == 200);
  CHECK(seen.json().at("status") == "ACTIVE");
  const auto stopped = service[0].client().post("/api/v1/sessions/" + id + "/stop",
                                                nlohmann::json::object(), with_key(key));
  CHECK(stopped.status == 200);
  // Seen by the other within the bound (1 s); its cached copy is never written back.
  nlohmann::json after;
  CHECK(eventually(
      [&] {
        after = service[1].client().get("/api/v1/sessions/" + id, with_key(key)).json();
        return after.at("status") != "ACTIVE";
      },
      std::chrono::milliseconds(1000)));
  CHECK(after.at("endedReason") == "MANUAL");
  // Finished by whichever instance sweeps, within its interval (1 s here).
  CHECK(eventually([&] {
    return service.query("SELECT status FROM sessions WHERE id = '" + id + "'") == "CANCELLED";
  }));
  // Stopping it again, anywhere, is refused.
  CHECK(service[1]
            .client()
            .post("/api/v1/sessions/" + id + "/stop", nlohmann::json::object(), with_key(key))
            .status == 400);
}

TEST_CASE("instances: of two instances stopping one session at once, exactly one wins") {
  Service service(2);
  const auto admin = sign_in(service[0].client());
  const auto key = new_key(service[0], admin).key;
  constexpr int rounds = 20;
  for (int round = 0; round < rounds; ++round) {
    const auto started =
        service[round % 2].client().post("/api/v1/sessions", {{"durationHours", 1}}, with_key(key));
    REQUIRE(started.status == 201);
    const auto target = "/api/v1/sessions/" + started.json().at("id").get<std::string>() + "/stop";
    std::promise<void> go;
    const auto ready = go.get_future().share();
    const auto stop_on = [&](int i) {
      ready.wait();
      return service[i].client().post(target, nlohmann::json::object(), with_key(key)).status;
    };
    auto a = std::async(std::launch::async, stop_on, 0);
    auto b = std::async(std::launch::async, stop_on, 1);
    go.set_value();
    const int first = a.get();
    const int second = b.get();
    INFO("round " << round << ": " << first << " " << second);
    CHECK(((first == 200 && second == 400) || (first == 400 && second == 200)));
  }
  // The loser wrote nothing: one stop entry per session.
  CHECK(service.query("SELECT COUNT(*) FROM audit_logs WHERE event_type = 'SESSION_STOP'") ==
        std::to_string(rounds));
}

TEST_CASE(
    "instances: kill -9 of one under write load loses no acknowledged write, and the other serves "
    "on") {
  Service service(2);
  const auto admin = sign_in(service[0].client());
  const auto key = new_key(service[0], admin).key;

  std::atomic<bool> done{false};
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  const auto count = [&] {
    std::lock_guard lock(mutex);
    return acknowledged.size();
  };
  // Two writers, so that a write is in flight when the instance dies.
  const auto write = [&] {
    const auto client = service[0].client();
    for (int i = 0; i < 2000 && !done; ++i) {
      try {
        const auto reply = client.post("/api/v1/sessions", {{"durationHours", 1}}, with_key(key));
        if (reply.status != 201) continue;
        std::lock_guard lock(mutex);
        acknowledged.push_back(reply.json().at("id").get<std::string>());
      } catch (const std::exception&) {
        return;  // the instance is gone
      }
    }
  };
  std::thread writer(write);
  std::thread second_writer(write);
  for (int i = 0; i < 1000 && count() < 30; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  service[0].kill_hard();
  done = true;
  writer.join();
  second_writer.join();
  REQUIRE(acknowledged.size() >= 30);
  const auto survivor = service[1].client();
  for (const auto& id : acknowledged) {
    INFO(id);
    CHECK(survivor.get("/api/v1/sessions/" + id, with_key(key)).status == 200);
  }
  CHECK(survivor.post("/api/v1/sessions", {{"durationHours", 1}}, with_key(key)).status == 201);
  CHECK(service[1].stop());
}

TEST_CASE(
    "instances: one of three sweeps expired sessions, and when it is killed a survivor takes "
    "over") {
  Service service(3);
  const auto admin = sign_in(service[0].client());
  const auto key = new_key(service[0], admin).key;
  const auto sweeping = [&] {
    std::vector<int> out;
    for (std::size_t i = 0; i < service.instances.size(); ++i) {
      if (service.instances[i] &&
          contains(service[i].log(), "sweeper: this instance sweeps expired sessions"))
        out.push_back(static_cast<int>(i));
    }
    return out;
  };
  // A session started on `on`, then past its expiry (in plain SQL, as time passing would
  // make it): the sweeper ends it; the log of the instance that did says so.
  const auto expire_one = [&](int on) {
    const auto started =
        service[on].client().post("/api/v1/sessions", {{"durationHours", 1}}, with_key(key));
    REQUIRE(started.status == 201);
    const auto id = started.json().at("id").get<std::string>();
    service.query("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE id = '" +
                  id + "'");
    CHECK(eventually([&] {
      return service.query("SELECT status FROM sessions WHERE id = '" + id + "'") == "EXPIRED";
    }));
    std::vector<int> ended_by;
    for (std::size_t i = 0; i < service.instances.size(); ++i) {
      if (service.instances[i] && contains(service[i].log(), "sweeper: session " + id + " expired"))
        ended_by.push_back(static_cast<int>(i));
    }
    return ended_by;
  };

  REQUIRE(eventually([&] { return !sweeping().empty(); }));
  const auto holder = sweeping();
  REQUIRE(holder.size() == 1);
  CHECK(expire_one(0) == holder);
  CHECK(expire_one(1) == holder);
  CHECK(service.query("SELECT COUNT(*) FROM audit_logs WHERE event_type = 'SESSION_EXPIRE'") ==
        "2");

  service[holder[0]].kill_hard();
  service.instances[holder[0]].reset();
  REQUIRE(eventually([&] { return !sweeping().empty(); }));
  const auto survivor = sweeping();
  REQUIRE(survivor.size() == 1);
  CHECK(survivor != holder);
  CHECK(expire_one(holder[0] == 0 ? 1 : 0) == survivor);
  CHECK(service.query("SELECT COUNT(*) FROM audit_logs WHERE event_type = 'SESSION_EXPIRE'") ==
        "3");
}

TEST_CASE(
    "instances: `scopegate migrate` moves a SQLite database to PostgreSQL, and its key and "
    "password keep working") {
  TempDir dir;
  setenv("SCOPEGATE_ADMIN_PASSWORD", instances_admin_password, 1);
  // The secrets sealed on SQLite open on PostgreSQL: the same key on both sides.
  setenv("SCOPEGATE_SECRETS_KEY", secrets_key, 1);
  const auto sqlite_path = dir.file("old.db");
  std::string key;
  {
    Instance old(dir, "old", sqlite_path, false);
    INFO(old.output());
    REQUIRE(old.wait_healthy());
    const auto created = old.client().post(
        "/api/v1/api-keys", {{"name", "ci"}, {"scopes", {"sessions:read"}}}, sign_in(old.client()));
    REQUIRE(created.status == 201);
    key = created.json().at("plainTextKey").get<std::string>();
    REQUIRE(old.stop());
  }
  const auto url = PgCluster::shared().create_database();
  const auto output = dir.file("migrate.out");
  const std::string command = fmt::format("{}/scopegate migrate --from '{}' --to '{}' >{} 2>&1",
                                          SCOPEGATE_BINARY_DIR, sqlite_path, url, output);
  CHECK(std::system(command.c_str()) == 0);
  const auto report = read_file(output);
  INFO(report);
  CHECK(contains(report, "every table's count matches"));
  CHECK(contains(report, "postgresql://scopegate:***@"));
  CHECK_FALSE(contains(report, PgCluster::shared().password()));

  // Started on the copy, it does not bootstrap again: the old password and key work.
  Instance moved(dir, "moved", url, true);
  REQUIRE(moved.wait_healthy());
  CHECK_FALSE(contains(moved.output(), "created organization"));
  sign_in(moved.client());
  CHECK(moved.client().get("/api/v1/sessions", with_key(key)).status == 200);
}

TEST_CASE(
    "instances: behind nginx as docs/deployment/nginx.conf sets it up, two act as one service") {
  const std::string nginx = "/usr/sbin/nginx";
  if (!std::filesystem::exists(nginx)) FAIL("nginx is missing: run scripts/install-deps");
  Service service(2);
  // The shipped example with this test's ports, inside a minimal nginx.conf of its own.
  auto example = read_file(SCOPEGATE_SOURCE_DIR "/docs/deployment/nginx.conf");
  const auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = example.find(from);
    REQUIRE(at != std::string::npos);
    example.replace(at, from.size(), to);
  };
  const auto front = free_port();
  replace("127.0.0.1:8081", "127.0.0.1:" + std::to_string(service[0].port()));
  replace("127.0.0.1:8082", "127.0.0.1:" + std::to_string(service[1].port()));
  replace("listen 127.0.0.1:8080", "listen 127.0.0.1:" + std::to_string(front));
  const auto& dir = service.dir;
  dir.write("nginx/scopegate.conf", example);
  const auto prefix = dir.file("nginx");
  dir.write(
      "nginx/nginx.conf",
      fmt::format("daemon off;\nmaster_process off;\nworker_processes 1;\npid {0}/nginx.pid;\n"
                  "error_log {0}/error.log;\nevents {{ worker_connections 256; }}\n"
                  "http {{\n  access_log {0}/access.log;\n  client_body_temp_path {0}/body;\n"
                  "  proxy_temp_path {0}/proxy;\n  fastcgi_temp_path {0}/fastcgi;\n"
                  "  uwsgi_temp_path {0}/uwsgi;\n  scgi_temp_path {0}/scgi;\n"
                  "  include {0}/scopegate.conf;\n}}\n",
                  prefix));
  std::vector<std::string> args = {nginx, "-p", prefix, "-c", prefix + "/nginx.conf"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, nginx.c_str(), nullptr, nullptr, argv.data(), environ) == 0);
  struct Stop {
    pid_t pid;
    ~Stop() {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  } stop_nginx{pid};
  const Client through(front);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    try {
      up = through.get("/healthz").status == 200;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  INFO(read_file(prefix + "/error.log"));
  REQUIRE(up);

  const auto admin = sign_in(through);
  const auto created =
      through.post("/api/v1/api-keys", {{"name", "ci"}, {"scopes", {"sessions:read"}}}, admin);
  REQUIRE(created.status == 201);
  const auto key = created.json().at("plainTextKey").get<std::string>();
  for (int i = 0; i < 20; ++i) CHECK(through.get("/api/v1/sessions", with_key(key)).status == 200);
  const auto id = created.json().at("id").get<std::string>();
  REQUIRE(through.send("DELETE", "/api/v1/api-keys/" + id, admin).status / 100 == 2);
  // Refused by both within the bound (1 s), then by every request.
  int refused = 0;
  CHECK(eventually(
      [&] {
        refused = through.get("/api/v1/sessions", with_key(key)).status == 401 ? refused + 1 : 0;
        return refused == 2;
      },
      std::chrono::milliseconds(1000)));
  for (int i = 0; i < 10; ++i) CHECK(through.get("/api/v1/sessions", with_key(key)).status == 401);

  // One instance stops: nginx sends everything to the other.
  REQUIRE(service[0].stop());
  for (int i = 0; i < 10; ++i) CHECK(through.get("/api/v1/auth/me", admin).status == 200);
  REQUIRE(service[1].stop());
  // Round robin: both served the key's requests.
  for (int i = 0; i < 2; ++i) {
    INFO("instance " << i);
    CHECK(count_of(service[i].log(), "GET /api/v1/sessions 200") >= 5);
  }
}
