// End-to-end: hot reload of the policy directory while the server runs. A copy of the
// shipped policy is edited the way a policy author would; the server picks the change up
// by itself (directory polling) or on request (what SIGHUP does), keeps serving the last
// good policy when the new one does not compile or fails its tests, and loses no request
// across 100 reloads under load.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include "harness.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;
namespace fs = std::filesystem;

namespace {

// The shipped *.policy files and the shipped condition tests, into `to`.
void copy_policies(const fs::path& to) {
  const fs::path from = SCOPEGATE_SOURCE_DIR "/policies";
  fs::create_directories(to / "tests");
  for (const auto& entry : fs::directory_iterator(from)) {
    if (entry.path().extension() == ".policy")
      fs::copy_file(entry.path(), to / entry.path().filename());
  }
  fs::copy_file(from / "tests" / "conditions.toml", to / "tests" / "conditions.toml");
}

// Replaces the one match of `pattern` (ECMAScript, multiline) in `text`.
std::string replaced(const std::string& text, const std::string& pattern, const std::string& to) {
  const std::regex re(pattern, std::regex::ECMAScript | std::regex::multiline);
  REQUIRE(std::distance(std::sregex_iterator(text.begin(), text.end(), re),
                        std::sregex_iterator()) == 1);
  return std::regex_replace(text, re, to);
}

// A policy test the copy ships with: keys cannot create resources (true of the shipped
// policy), and the same file after the author changed their mind.
const std::string resources_test_before = R"(
[[case]]
name = "a key cannot create resources"
scopes = ["sessions:read", "sessions:write", "resources:read", "audit:read"]
request = "POST /api/v1/resources"
expect = "deny"
reason = "api_key_not_supported"
)";
const std::string resources_test_after = R"(
[[case]]
name = "resources:write creates resources"
scopes = ["resources:write"]
request = "POST /api/v1/resources"
expect = "allow"

[[case]]
name = "resources:write does not update resources"
scopes = ["resources:write"]
request = "PATCH /api/v1/resources/7"
expect = "deny"
reason = "api_key_not_supported"
)";

// resources:write becomes a plain scope that grants creating a resource, and the user
// scope that used to define that route no longer does.
void release_resources_write(const fs::path& policies) {
  write_file(
      policies / "api.policy",
      replaced(read_file(policies / "api.policy"),
               R"(future scope resources:write\s*\{\s*summary "Create and modify resources"\s*\})",
               "scope resources:write {\n"
               "  summary \"Create and modify resources\"\n"
               "  POST /api/v1/resources  \"Create a resource\"\n"
               "}"));
  write_file(policies / "user.policy",
             replaced(read_file(policies / "user.policy"),
                      R"(^[ \t]*POST[ \t]+/api/v1/resources[ \t]+"[^"\n]*"[ \t]*\n)", ""));
}

}  // namespace

TEST_CASE(
    "e2e: a changed policy directory is reloaded without a restart, and only when it passes") {
  TempDir policies;
  copy_policies(policies.path());
  write_file(policies.path() / "tests" / "resources.toml", resources_test_before);
  Harness h([&](Harness& harness) {
    harness.config.policy_directory = policies.path().string();
    harness.config.reload_interval_milliseconds = 100;
  });
  const auto token = h.bearer();
  const auto reader = h.key({"sessions:read", "resources:read"});
  REQUIRE(h.client().get("/api/v1/sessions", with_key(reader)).status == 200);
  const auto write_key_request =
      nlohmann::json{{"name", "writer"}, {"scopes", {"resources:write"}}};
  CHECK(h.client().post("/api/v1/api-keys", write_key_request, token).status ==
        400);  // a future scope

  SECTION("a broken edit is refused and the old policy keeps serving") {
    const auto original = read_file(policies.path() / "api.policy");
    write_file(policies.path() / "api.policy",
               original + "\nscope oops:read {\n  GET /api/v1/oops\n");
    REQUIRE(eventually([&] { return h.server->reload_stats().refused == 1; }));
    CHECK(h.server->reload_stats().applied == 0);
    CHECK(h.client().get("/api/v1/sessions", with_key(reader)).status == 200);
    CHECK(h.client().get("/api/v1/oops", with_key(reader)).status == 404);
    const auto log = read_file(h.config.log_file);
    CHECK(log.find("refused: the policy does not compile; still serving the last good policy") !=
          std::string::npos);
    CHECK(log.find("api.policy:") != std::string::npos);  // the rendered diagnostic
    // Fixing the file is a reload like any other.
    write_file(policies.path() / "api.policy", original);
    REQUIRE(eventually([&] { return h.server->reload_stats().applied == 1; }));
    CHECK(h.client().get("/api/v1/sessions", with_key(reader)).status == 200);
  }

  SECTION("resources:write released by a policy edit works for a key created afterwards") {
    // The policy alone changes: its tests still say keys cannot create resources.
    release_resources_write(policies.path());
    REQUIRE(eventually([&] {
      return read_file(h.config.log_file).find("refused: the policy tests fail") !=
             std::string::npos;
    }));
    CHECK(h.server->reload_stats().applied == 0);
    CHECK(read_file(h.config.log_file).find("test `a key cannot create resources` failed") !=
          std::string::npos);
    CHECK(h.client().post("/api/v1/api-keys", write_key_request, token).status == 400);

    // The author updates the tests too: now the reload goes through.
    write_file(policies.path() / "tests" / "resources.toml", resources_test_after);
    REQUIRE(eventually([&] { return h.server->reload_stats().applied == 1; }));
    const auto created = h.client().post("/api/v1/api-keys", write_key_request, token);
    REQUIRE(created.status == 201);
    const auto writer = created.json().at("plainTextKey").get<std::string>();
    const auto body = aws_resource(h.credential());
    const auto resource = h.client().post("/api/v1/resources", body, with_key(writer));
    INFO(resource.body);
    CHECK(resource.status == 201);
    CHECK(resource.json().at("name") == "db");
    // A key acts as its creator: the resource is the organization's, the audit names the key.
    const auto listed = h.client().get("/api/v1/resources", with_key(reader)).json();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].at("id") == resource.json().at("id"));
    const auto audit = h.client().get("/api/v1/audit-logs?eventType=RESOURCE_CREATE", token).json();
    REQUIRE(audit.at("content").size() == 1);
    CHECK(audit.at("content")[0].at("actorType") == "API_KEY");
    CHECK(audit.at("content")[0].at("details").at("keyPrefix") == writer.substr(0, 15));
    // What the scope does not grant stays refused.
    const auto id = resource.json().at("id").get<std::string>();
    CHECK(
        h.client().send("PATCH", "/api/v1/resources/" + id, with_key(writer), body.dump()).status ==
        403);
    CHECK(
        h.client().post("/api/v1/resources", body, with_key(reader)).body ==
        R"({"error":"Insufficient permissions","message":"API key does not have required scope: resources:write"})");
    // Admin users hold every scope, so they still create resources.
    CHECK(h.client().post("/api/v1/resources", body, token).status == 201);
    CHECK(read_file(h.config.log_file)
              .find("policy reload (change in " + policies.path().string() + ") applied") !=
          std::string::npos);
  }
}

TEST_CASE("e2e: a reload that would leave an endpoint without a handler is refused") {
  TempDir policies;
  copy_policies(policies.path());
  Harness h([&](Harness& harness) { harness.config.policy_directory = policies.path().string(); });
  const auto key = h.key({"sessions:read"});
  write_file(policies.path() / "api.policy",
             replaced(read_file(policies.path() / "api.policy"),
                      R"(^([ \t]*GET[ \t]+/api/v1/sessions/\{id\}[ \t].*\n))",
                      "$1  GET /api/v1/sessions/{id}/history  \"Session history\"\n"));
  // The watcher is off (interval 0): nothing changes until a reload is asked for.
  CHECK(h.server->reload_stats().refused == 0);
  const auto outcome = h.server->reload("test");
  CHECK_FALSE(outcome.applied);
  REQUIRE(outcome.problems.size() == 1);
  CHECK(outcome.problems[0].find("`GET /api/v1/sessions/{id}/history` has no handler") !=
        std::string::npos);
  CHECK(h.client().get("/api/v1/sessions/x/history", with_key(key)).status == 404);
  CHECK(h.client().get("/api/v1/sessions", with_key(key)).status == 200);
  CHECK(h.server->reload_stats().refused == 1);
}

TEST_CASE("e2e: 100 reloads under load fail no request") {
  TempDir policies;
  copy_policies(policies.path());
  Harness h([&](Harness& harness) {
    harness.config.policy_directory = policies.path().string();
    harness.config.threads = 2;
  });
  const auto reader = h.key({"sessions:read", "sessions:write"});
  const auto lacking = h.key({"resources:read"});
  const auto session = h.client()
                           .post("/api/v1/sessions", nlohmann::json::object(), with_key(reader))
                           .json()
                           .at("id")
                           .get<std::string>();
  const auto original_api = read_file(policies.path() / "api.policy");
  const auto original_user = read_file(policies.path() / "user.policy");

  std::atomic<bool> done{false};
  std::atomic<int> requests{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      const auto client = h.client();
      for (int i = 0; !done; ++i) {
        int expected = 200;
        Reply reply;
        try {
          switch ((i + c) % 3) {
            case 0:
              reply = client.get("/api/v1/sessions/" + session, with_key(reader));
              break;
            case 1:
              reply = client.get("/api/v1/sessions/" + session, with_key(lacking));
              expected = 403;
              break;
            default:
              reply = client.get("/api/v1/audit-logs?size=500", with_key(reader));
              expected = 403;
              break;
          }
          if (reply.status != expected) ++failures;
        } catch (const std::exception&) {
          ++failures;
        }
        ++requests;
      }
    });
  }
  // Alternate between two different valid policies, so that every reload swaps in a
  // policy that really differs from the one in force.
  const auto started = std::chrono::steady_clock::now();
  int applied = 0;
  for (int i = 0; i < 100; ++i) {
    if (i % 2 == 0) {
      release_resources_write(policies.path());
    } else {
      write_file(policies.path() / "api.policy", original_api);
      write_file(policies.path() / "user.policy", original_user);
    }
    const auto outcome = h.server->reload("load test");
    if (outcome.applied) ++applied;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  done = true;
  for (auto& client : clients) client.join();
  WARN("100 reloads in " << elapsed << " s, " << requests.load() << " requests, " << failures.load()
                         << " failed");
  CHECK(applied == 100);
  CHECK(h.server->reload_stats().applied == 100);
  CHECK(failures == 0);
  CHECK(requests > 200);
}
