// End-to-end through the real `scopegate serve` binary: flags, first-start notice,
// and a SIGTERM that lets a request in flight finish before the process exits 0.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <regex>
#include <sstream>
#include <thread>

#include "http_client.hpp"
#include "test_support.hpp"

extern char** environ;

using namespace scopegate::server::testing;

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::string& output) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int failed = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(failed == 0);
  return pid;
}

// The CPU time `pid` has used, in clock ticks (user + system, /proc/PID/stat).
long cpu_ticks(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  long user = 0;
  long system = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) user = std::stol(field);
    if (i == 15) system = std::stol(field);
  }
  return user + system;
}

// The port the server started on 127.0.0.1:0 logs to `log` (logged_port()); 0 if it does
// not within 10 s.
std::uint16_t wait_logged_port(const std::string& log) {
  for (int i = 0; i < 200; ++i) {
    if (const auto port = logged_port(log); port != 0) return port;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

bool wait_healthy(const Client& client) {
  for (int i = 0; i < 100; ++i) {
    try {
      if (client.get("/healthz").status == 200) return true;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return false;
}

}  // namespace

TEST_CASE("binary: scopegate serve starts from flags and drains a request in flight on SIGTERM") {
  TempDir dir;
  setenv("SCOPEGATE_ADMIN_PASSWORD", "binary-admin-password", 1);
  const auto output = dir.file("serve.out");
  const pid_t pid =
      spawn({SCOPEGATE_BINARY_DIR "/scopegate", "serve", "--listen", "127.0.0.1:0", "--db",
             dir.file("s.db"), "--policies", SCOPEGATE_SOURCE_DIR "/policies"},
            output);
  const auto port = wait_logged_port(output);
  REQUIRE(port != 0);
  const Client client(port);
  REQUIRE(wait_healthy(client));
  CHECK(read_file(output).find("admin user `admin@localhost`") != std::string::npos);

  // A login costs an Argon2id verification: long enough to still be in flight. It is in
  // flight once the idle server starts burning CPU time (the hash), whatever the load.
  const long idle = cpu_ticks(pid);
  auto login = std::async(std::launch::async, [&] {
    return client.post("/api/v1/auth/login", {{"organizationSlug", "default"},
                                              {"email", "admin@localhost"},
                                              {"password", "binary-admin-password"}});
  });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (cpu_ticks(pid) < idle + 2 && std::chrono::steady_clock::now() < give_up &&
         login.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
  }
  REQUIRE(kill(pid, SIGTERM) == 0);
  CHECK(login.get().status == 200);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(read_file(output).find("scopegate: stopped") != std::string::npos);
}

TEST_CASE("binary: a bad config file is reported with its position and nothing starts") {
  TempDir dir;
  const auto config = dir.file("bad.toml");
  { std::ofstream(config) << "[server]\nthreads = \"two\"\n"; }
  const auto output = dir.file("serve.out");
  const pid_t pid = spawn({SCOPEGATE_BINARY_DIR "/scopegate", "serve", "--config", config}, output);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(read_file(output).find(config + ":2:11: error: `server.threads` must be an integer") !=
        std::string::npos);
}

TEST_CASE(
    "binary: SIGHUP reloads the policy directory, and keys created afterwards get the new scope") {
  TempDir dir;
  const auto policies = dir.path() / "policies";
  std::filesystem::create_directories(policies);
  for (const auto& entry : std::filesystem::directory_iterator(SCOPEGATE_SOURCE_DIR "/policies")) {
    if (entry.path().extension() == ".policy")
      std::filesystem::copy_file(entry.path(), policies / entry.path().filename());
  }
  setenv("SCOPEGATE_ADMIN_PASSWORD", "binary-admin-password", 1);
  const auto config = dir.file("serve.toml");
  {
    std::ofstream(config) << "[server]\nlisten = \"127.0.0.1:0\"\n[database]\npath = \""
                          << dir.file("s.db") << "\"\n[policy]\ndirectory = \"" << policies.string()
                          << "\"\nreload_interval_milliseconds = 0\n[log]\nfile = \""
                          << dir.file("server.log") << "\"\n";
  }
  const auto output = dir.file("serve.out");
  const pid_t pid = spawn({SCOPEGATE_BINARY_DIR "/scopegate", "serve", "--config", config}, output);
  const auto port = wait_logged_port(dir.file("server.log"));
  REQUIRE(port != 0);
  const Client client(port);
  REQUIRE(wait_healthy(client));
  const auto login = client.post("/api/v1/auth/login", {{"organizationSlug", "default"},
                                                        {"email", "admin@localhost"},
                                                        {"password", "binary-admin-password"}});
  REQUIRE(login.status == 200);
  const std::map<std::string, std::string> admin = {
      {"Authorization", "Bearer " + login.json().at("accessToken").get<std::string>()}};
  const nlohmann::json key_request = {{"name", "writer"}, {"scopes", {"resources:write"}}};
  REQUIRE(client.post("/api/v1/api-keys", key_request, admin).status == 400);  // a future scope

  const std::regex future(
      R"(future scope resources:write\s*\{\s*summary "Create and modify resources"\s*\})");
  const auto api_before = read_file(policies / "api.policy");
  REQUIRE(std::regex_search(api_before, future));
  const auto api =
      std::regex_replace(api_before, future,
                         "scope resources:write {\n  summary \"Create and modify resources\"\n"
                         "  POST /api/v1/resources  \"Create a resource\"\n}");
  const std::regex route(R"(^[ \t]*POST[ \t]+/api/v1/resources[ \t]+"[^"\n]*"[ \t]*\n)",
                         std::regex::ECMAScript | std::regex::multiline);
  const auto user_before = read_file(policies / "user.policy");
  REQUIRE(std::regex_search(user_before, route));
  const auto user = std::regex_replace(user_before, route, "");
  { std::ofstream(policies / "api.policy", std::ios::trunc) << api; }
  { std::ofstream(policies / "user.policy", std::ios::trunc) << user; }
  // Watching is off, so no thread looks at the files: nothing happens until the signal.
  CHECK(client.post("/api/v1/api-keys", key_request, admin).status == 400);

  REQUIRE(kill(pid, SIGHUP) == 0);
  int created = 0;
  std::string key;
  for (int i = 0; i < 100 && created != 201; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto reply = client.post("/api/v1/api-keys", key_request, admin);
    created = reply.status;
    if (created == 201) key = reply.json().at("plainTextKey").get<std::string>();
  }
  REQUIRE(created == 201);
  const auto credential =
      client.post("/api/v1/credentials",
                  {{"name", "aws"},
                   {"provider", "AWS"},
                   {"credentialType", "ACCESS_KEY"},
                   {"credentialData",
                    {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"},
                     {"secretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}}},
                  admin);
  REQUIRE(credential.status == 201);
  const auto resource = client.post("/api/v1/resources",
                                    {{"name", "db"},
                                     {"credentialId", credential.json().at("id")},
                                     {"provider", "AWS"},
                                     {"resourceType", "SECURITY_GROUP"},
                                     {"resourceIdentifier", "sg-1"},
                                     {"region", "eu-west-1"}},
                                    {{"X-API-Key", key}});
  CHECK(resource.status == 201);

  // What it created holds hashes, sealed secrets and reset links: its owner's only.
  for (const char* name : {"s.db", "s.db-wal", "s.db-shm", "s.db.secrets-key", "server.log"}) {
    INFO(name);
    struct stat file {};
    REQUIRE(::stat(dir.file(name).c_str(), &file) == 0);
    CHECK((file.st_mode & 0777) == 0600);
  }

  REQUIRE(kill(pid, SIGTERM) == 0);  // still a clean stop after a SIGHUP
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(read_file(dir.file("server.log")).find("policy reload (SIGHUP) applied") !=
        std::string::npos);
}

namespace {

// Runs the binary to its end; its exit status, and what it printed in `output`.
int run_to_end(const std::vector<std::string>& args, const std::string& output) {
  const pid_t pid = spawn(args, output);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE(
    "binary: a start that fails creates no admin, so the next start still shows its "
    "password") {
  TempDir dir;
  unsetenv("SCOPEGATE_ADMIN_PASSWORD");
  // The port is taken: the start fails after the database is opened.
  const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(taken, 1) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(taken, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const auto listen = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  const auto failed = dir.file("failed.out");
  CHECK(run_to_end({SCOPEGATE_BINARY_DIR "/scopegate", "serve", "--listen", listen, "--db",
                    dir.file("s.db"), "--policies", SCOPEGATE_SOURCE_DIR "/policies"},
                   failed) == 1);
  ::close(taken);
  CHECK(read_file(failed).find("the server was not started") != std::string::npos);
  CHECK(read_file(failed).find("admin password (shown this once)") == std::string::npos);

  const auto output = dir.file("serve.out");
  const pid_t pid =
      spawn({SCOPEGATE_BINARY_DIR "/scopegate", "serve", "--listen", "127.0.0.1:0", "--db",
             dir.file("s.db"), "--policies", SCOPEGATE_SOURCE_DIR "/policies"},
            output);
  REQUIRE(wait_logged_port(output) != 0);
  CHECK(read_file(output).find("admin password (shown this once)") != std::string::npos);
  REQUIRE(kill(pid, SIGTERM) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);

  // Without its key file, the database's secrets cannot be opened: the start says the file
  // is missing, and leaves no new key file behind to blame later.
  const auto key_file = dir.file("s.db.secrets-key");
  std::filesystem::rename(key_file, dir.file("elsewhere"));
  const auto keyless = dir.file("keyless.out");
  CHECK(run_to_end({SCOPEGATE_BINARY_DIR "/scopegate", "serve", "--listen", "127.0.0.1:0", "--db",
                    dir.file("s.db"), "--policies", SCOPEGATE_SOURCE_DIR "/policies"},
                   keyless) == 1);
  CHECK(read_file(keyless).find("error: the secrets key file " + key_file + " is missing") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(key_file));
}

TEST_CASE("binary: keys create refuses a database file that does not exist, and creates none") {
  TempDir dir;
  const auto output = dir.file("keys.out");
  CHECK(run_to_end({SCOPEGATE_BINARY_DIR "/scopegate", "keys", "create", "--db",
                    dir.file("typo.db"), "--policies", SCOPEGATE_SOURCE_DIR "/policies", "--email",
                    "admin@localhost", "--name", "ci", "--scopes", "sessions:read"},
                   output) == 1);
  CHECK(read_file(output).find(dir.file("typo.db") + ": error: no database there") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("typo.db")));
}

TEST_CASE(
    "binary: an admin password from the environment meets the rule every new password "
    "meets") {
  TempDir dir;
  setenv("SCOPEGATE_ADMIN_PASSWORD", "short", 1);
  const auto output = dir.file("serve.out");
  CHECK(run_to_end({SCOPEGATE_BINARY_DIR "/scopegate", "serve", "--listen", "127.0.0.1:0", "--db",
                    dir.file("s.db"), "--policies", SCOPEGATE_SOURCE_DIR "/policies"},
                   output) == 1);
  CHECK(read_file(output).find("SCOPEGATE_ADMIN_PASSWORD must be at least 8 characters (the "
                               "admin's password: 8 to 128 characters, no control characters)") !=
        std::string::npos);
  setenv("SCOPEGATE_ADMIN_PASSWORD", "binary-admin-password", 1);
}
