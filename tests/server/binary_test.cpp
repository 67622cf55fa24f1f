// End-to-end through the real `scopegate serve` binary: flags, first-start notice,
// and a SIGTERM that lets a request in flight finish before the process exits 0.
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>

#include <chrono>
#include <future>
#include <thread>

#include "http_client.hpp"
#include "test_support.hpp"

extern char** environ;

using namespace scopegate::server::testing;

namespace {

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

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
  const auto port = free_port();
  const auto output = dir.file("serve.out");
  const pid_t pid = spawn({SCOPEGATE_BINARY_DIR "/scopegate", "serve", "--listen",
                           "127.0.0.1:" + std::to_string(port), "--db", dir.file("s.db"), "--policies",
                           SCOPEGATE_SOURCE_DIR "/policies"},
                          output);
  const Client client(port);
  REQUIRE(wait_healthy(client));
  CHECK(read_file(output).find("admin user `admin@localhost`") != std::string::npos);

  // A login costs an Argon2id verification: long enough to still be in flight.
  auto login = std::async(std::launch::async, [&] {
    return client.post("/api/v1/auth/login", {{"organizationSlug", "default"},
                                             {"email", "admin@localhost"},
                                             {"password", "binary-admin-password"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
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
  CHECK(read_file(output).find(config + ":2:11: error: `server.threads` must be an integer") != std::string::npos);
}
