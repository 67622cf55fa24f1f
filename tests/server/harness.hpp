// The in-process test server for the end-to-end tests: Server::start (the same code
// `scopegate serve` runs) on a free loopback port, a temporary database and, unless a
// test says otherwise, the shipped policy; plus helpers for talking to it. Harness's
// members are in harness.cpp, compiled once into scopegate_server_test_support.
// The store is the suite's parameter (test_store.hpp): a SQLite file or a PostgreSQL
// database.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "server/clock.hpp"
#include "server/server.hpp"
#include "server/store/open_store.hpp"
#include "server/store/store.hpp"
#include "test_store.hpp"
#include "test_support.hpp"

namespace scopegate::server::testing {

inline constexpr const char* admin_password = "e2e-admin-password";

class Harness {
 public:
  // `configure` adjusts the settings before the server starts.
  explicit Harness(const std::function<void(Harness&)>& configure = {});
  ~Harness();

  void start();
  void stop();

  Client client() const { return Client(server->port()); }

  std::string admin_token();
  std::map<std::string, std::string> bearer();

  // Creates a key through the API, as an admin, and returns the plaintext.
  std::string key(const std::vector<std::string>& scopes, const std::string& name = "test key");

  // A second handle on the same database, as another instance would have.
  std::unique_ptr<Store> open_store() const;

  // A user made directly in the database (role "admin" or "member"), in the organization
  // `organization_slug` (made if missing), signed in: its Authorization header.
  std::map<std::string, std::string> signed_in(const std::string& email, const std::string& role,
                                               const std::string& organization_slug = "default");

  // An AWS credential created through the API as the admin (or as `caller`, the
  // Authorization header of another organization's admin); its id.
  std::string credential(const std::string& name = "AWS test",
                         const std::map<std::string, std::string>& caller = {});
  // A resource created through the API as the admin, on a new credential, and verified
  // (so active: admins' sessions cover it); its id.
  std::string resource(const std::string& name = "db");

  TempDir dir;
  Config config;
  std::ostringstream notices;
  std::unique_ptr<Server> server;
  std::thread thread;
};

// What Server::start says when it refuses to start, every message on its own line: the
// settings are the test defaults (a database and a log in `dir`, the shipped policy)
// adjusted by `configure`. Fails the test if the server starts.
std::string start_refusal(const TempDir& dir, const std::function<void(Config&)>& configure);

// The body of POST /api/v1/resources for an AWS security group on `credential_id`.
inline nlohmann::json aws_resource(const std::string& credential_id,
                                   const std::string& name = "db") {
  return {{"name", name},
          {"credentialId", credential_id},
          {"provider", "AWS"},
          {"resourceType", "SECURITY_GROUP"},
          {"resourceIdentifier", "sg-" + name},
          {"region", "eu-west-1"}};
}

// `body` with `patch` applied (RFC 7386).
inline nlohmann::json patched(nlohmann::json body, const nlohmann::json& patch) {
  body.merge_patch(patch);
  return body;
}

// The "id" of a created record's answer.
inline std::string id_of(const Reply& reply) { return reply.json().at("id").get<std::string>(); }

inline std::map<std::string, std::string> with_key(const std::string& key) {
  return {{"X-API-Key", key}};
}

inline const std::string scope_body =
    R"({"error":"Insufficient permissions","message":"API key does not have required scope: sessions:read"})";
inline const std::string key_not_supported_body =
    R"({"error":"Insufficient permissions","message":"API key authentication is not supported for this endpoint"})";

// Sets the server's clock (now()) to the real clock plus `offset` for the rest of the
// scope, instead of sleeping; the offset before it comes back at the end, so that shifts
// nest (an inner one names its whole offset, not an addition to the outer one).
class ClockShift {
 public:
  explicit ClockShift(std::chrono::microseconds offset) : m_before(clock_offset_for_testing()) {
    set_clock_offset_for_testing(offset);
  }
  ~ClockShift() { set_clock_offset_for_testing(m_before); }
  ClockShift(const ClockShift&) = delete;
  ClockShift& operator=(const ClockShift&) = delete;

 private:
  std::chrono::microseconds m_before;
};

template <typename Predicate>
bool eventually(Predicate predicate,
                std::chrono::milliseconds limit = std::chrono::milliseconds(6000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return predicate();
}

// What expect_busy_worker_refusals() needs: one password worker, no queue, and the default
// cost, at which a hash keeps the one worker busy for tens of milliseconds.
inline void one_password_worker(Harness& harness) {
  harness.config.login_password_workers = 1;
  harness.config.login_password_queue = 0;
  harness.config.password_hash = server::PasswordHashCost{};
}

// For a server with one password worker and no queue (one_password_worker()): sends six
// `send` at once, burst
// after burst, until the bursts have shown both answers: `ran_status` from a request that
// ran on the worker, and 503 at once with Retry-After: 1 and "too many WHAT in progress;
// retry in 1 s" from one that found it busy. Any other answer fails the test.
inline void expect_busy_worker_refusals(const std::function<Reply()>& send, int ran_status,
                                        const std::string& what) {
  int ran = 0;
  int busy = 0;
  REQUIRE(eventually([&] {
    std::vector<std::future<Reply>> replies;
    for (int i = 0; i < 6; ++i) replies.push_back(std::async(std::launch::async, send));
    for (auto& reply : replies) {
      const auto answer = reply.get();
      if (answer.status == ran_status) {
        ++ran;
        continue;
      }
      REQUIRE(answer.status == 503);
      CHECK(answer.headers.at("Retry-After") == "1");
      CHECK(nlohmann::json::parse(answer.body).at("message") ==
            "too many " + what + " in progress; retry in 1 s");
      ++busy;
    }
    return ran >= 1 && busy >= 1;
  }));
}

// The keys of a JSON object, as a set (compared with a literal list in any order).
inline std::set<std::string> key_set_of(const nlohmann::json& object) {
  std::set<std::string> keys;
  for (const auto& item : object.items()) keys.insert(item.key());
  return keys;
}

}  // namespace scopegate::server::testing
