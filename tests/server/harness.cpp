#include "harness.hpp"

#include <cstdlib>
#include <fstream>

#include "server/crypto.hpp"

namespace scopegate::server::testing {

Harness::Harness(const std::function<void(Harness&)>& configure) {
  setenv("SCOPEGATE_ADMIN_PASSWORD", admin_password, 1);
  config.listen_port = 0;
  config.threads = 2;
  config.database_path = new_test_database_for_store(dir);
  config.password_hash = test_password_hash;
  config.password_hash_below_floor_allowed = true;
  // On PostgreSQL the secrets key must be configured (SQLite gets a key file beside the
  // database, as a zero-configuration server does).
  if (test_store() == StoreKind::postgres) {
    config.secrets_key_file = dir.file("secrets.key");
    std::ofstream(config.secrets_key_file) << std::string(64, 'a') << "\n";
  }
  config.policy_directory = SCOPEGATE_SOURCE_DIR "/policies";
  config.log_file = dir.file("server.log");
  config.sweep_interval_seconds = 1;
  config.audit_flush_milliseconds = 20;
  config.reload_interval_milliseconds = 0;
  // No per-key rate limit unless a test sets one: some tests (100 reloads under load)
  // send thousands of requests with one key. rate_limit_test.cpp pins the limit itself.
  config.rate_limit_requests_per_minute = 0;
  // Nor a forgot-password limit: the account tests ask for many links from one address.
  // account_claims_e2e_test.cpp pins the limit itself.
  config.password_resets_per_hour = 1'000'000;
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

std::map<std::string, std::string> Harness::signed_in(const std::string& email,
                                                      const std::string& role,
                                                      const std::string& organization_slug) {
  auto store = open_store();
  auto organization = store->find_organization_by_slug(organization_slug);
  REQUIRE(organization);
  if (!*organization) {
    const Organization made{generate_uuid(), organization_slug, organization_slug,
                            format_stored(now())};
    REQUIRE(store->create_organization(made));
    *organization = made;
  }
  const std::string password = "password-of-" + email;
  User user;
  user.id = generate_uuid();
  user.organization_id = (*organization)->id;
  user.email = email;
  user.name = email;
  user.role = role;
  user.password_hash = hash_password(password, test_password_hash);
  user.created_at = format_stored(now());
  REQUIRE(store->create_user(user, {}, nullptr));
  const auto reply = client().post(
      "/api/v1/auth/login",
      {{"organizationSlug", organization_slug}, {"email", email}, {"password", password}});
  REQUIRE(reply.status == 200);
  return {{"Authorization", "Bearer " + reply.json().at("accessToken").get<std::string>()}};
}

std::string Harness::credential(const std::string& name,
                                const std::map<std::string, std::string>& caller) {
  const auto reply =
      client().post("/api/v1/credentials",
                    {{"name", name},
                     {"provider", "AWS"},
                     {"credentialType", "ACCESS_KEY"},
                     {"credentialData",
                      {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"},
                       {"secretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}}},
                    caller.empty() ? bearer() : caller);
  REQUIRE(reply.status == 201);
  return reply.json().at("id").get<std::string>();
}

std::string Harness::resource(const std::string& name) {
  const auto token = bearer();
  const auto created = client().post("/api/v1/resources",
                                     aws_resource(credential(name + " credential"), name), token);
  REQUIRE(created.status == 201);
  const auto id = created.json().at("id").get<std::string>();
  REQUIRE(client()
              .post("/api/v1/resources/" + id + "/verify", nlohmann::json::object(), token)
              .status == 200);
  return id;
}

}  // namespace scopegate::server::testing
