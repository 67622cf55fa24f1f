#include "harness.hpp"

#include <cstdlib>

namespace scopegate::server::testing {

Harness::Harness(const std::function<void(Harness&)>& configure) {
  setenv("SCOPEGATE_ADMIN_PASSWORD", admin_password, 1);
  config.listen_port = 0;
  config.threads = 2;
  config.database_path = new_test_database(dir);
  config.policy_directory = SCOPEGATE_SOURCE_DIR "/policies";
  config.log_file = dir.file("server.log");
  config.sweep_interval_seconds = 1;
  config.audit_flush_milliseconds = 20;
  config.reload_interval_milliseconds = 0;
  // No per-key rate limit unless a test sets one: some tests (100 reloads under load)
  // send thousands of requests with one key. rate_limit_test.cpp pins the limit itself.
  config.rate_limit_requests_per_minute = 0;
  if (configure) configure(*this);
  start();
}

Harness::~Harness() { stop(); }

void Harness::start() {
  notices.str("");
  auto started = Server::start(config, notices);
  if (!started) {
    for (const auto& line : started.error()) UNSCOPED_INFO(line);
  }
  REQUIRE(started);
  server = std::move(*started);
  thread = std::thread([this] { server->run(); });
}

void Harness::stop() {
  if (!server) return;
  server->stop();
  thread.join();
  server.reset();
}

std::string start_refusal(const TempDir& dir, const std::function<void(Config&)>& configure) {
  Config config;
  config.listen_port = 0;
  config.database_path = dir.file("scopegate.db");
  config.policy_directory = SCOPEGATE_SOURCE_DIR "/policies";
  config.log_file = dir.file("server.log");
  configure(config);
  std::ostringstream notices;
  const auto started = Server::start(config, notices);
  REQUIRE_FALSE(started);
  std::string all;
  for (const auto& line : started.error()) all += line + "\n";
  return all;
}

std::string Harness::admin_token() {
  const auto reply = client().post("/api/v1/auth/login", {{"organizationSlug", "default"},
                                                          {"email", "admin@localhost"},
                                                          {"password", admin_password}});
  REQUIRE(reply.status == 200);
  return reply.json().at("accessToken").get<std::string>();
}

std::map<std::string, std::string> Harness::bearer() {
  return {{"Authorization", "Bearer " + admin_token()}};
}

std::string Harness::key(const std::vector<std::string>& scopes, const std::string& name) {
  const auto reply =
      client().post("/api/v1/api-keys", {{"name", name}, {"scopes", scopes}}, bearer());
  REQUIRE(reply.status == 201);
  return reply.json().at("plainTextKey").get<std::string>();
}

std::unique_ptr<Store> Harness::open_store() const {
  auto store = server::open_store(config.database_path);
  REQUIRE(store);
  return std::move(*store);
}

}  // namespace scopegate::server::testing
