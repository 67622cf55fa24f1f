// End-to-end: releasing the future key scopes users:read and roles:read is exactly the
// edit the policy's comment describes — `future scope X` becomes `scope X` with its routes
// — in a copy of the shipped policy (its tests included), and nothing else. Then a key
// holding the scope reads users or roles (200, the documented bodies), while the same key
// is still refused every write route of the area. Once with the server started on the
// edited copy, once with the edit hot-reloaded into a running server.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "admin_fixture.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;
namespace fs = std::filesystem;

namespace {

struct AreaRelease {
  std::string scope;
  std::string summary;
  std::string routes;  // the lines the author adds
};

const AreaRelease users_read{"users:read", "View user information",
                             "  GET /api/v1/users       \"List users\"\n"
                             "  GET /api/v1/users/{id}  \"Get a user\"\n"};
const AreaRelease roles_read{"roles:read", "View roles",
                             "  GET /api/v1/roles       \"List roles\"\n"
                             "  GET /api/v1/roles/{id}  \"Get a role\"\n"};

// The whole shipped policy directory, tests included.
void copy_shipped_policy(const fs::path& to) {
  fs::copy(SCOPEGATE_SOURCE_DIR "/policies", to, fs::copy_options::recursive);
}

// The release edit, in api.policy, through a rename as editors write.
void release_area(const fs::path& policies, const AreaRelease& r) {
  const auto file = policies / "api.policy";
  auto text = read_file(file);
  const auto before = "future scope " + r.scope + " {\n  summary \"" + r.summary + "\"\n}\n";
  const auto at = text.find(before);
  REQUIRE(at != std::string::npos);
  text.replace(at, before.size(),
               "scope " + r.scope + " {\n  summary \"" + r.summary + "\"\n\n" + r.routes + "}\n");
  { std::ofstream(file.string() + ".tmp", std::ios::binary | std::ios::trunc) << text; }
  fs::rename(file.string() + ".tmp", file);
}

void require_refused(const Reply& reply) {
  CHECK(reply.status == 403);
  CHECK(reply.body == key_not_supported_body);
}

// users:read: the key lists and reads users as an admin sees them, and writes nothing.
void check_users_read(Harness& h, AdminFixture& f) {
  const auto bob = f.member("bob@acme.test");
  const auto key = h.key({"users:read"});
  const auto list = h.client().get("/api/v1/users", with_key(key));
  REQUIRE(list.status == 200);
  CHECK(list.json() == h.client().get("/api/v1/users", f.admin).json());
  CHECK(list.json().size() == 2);
  const auto one = h.client().get("/api/v1/users/" + bob, with_key(key));
  REQUIRE(one.status == 200);
  CHECK(one.json() == h.client().get("/api/v1/users/" + bob, f.admin).json());
  CHECK(one.json().at("email") == "bob@acme.test");
  CHECK(
      h.client().get("/api/v1/users/" + bob, with_key(h.key({"sessions:read"}))).body ==
      R"({"error":"Insufficient permissions","message":"API key does not have required scope: users:read"})");
  require_refused(h.client().post("/api/v1/users", {{"email", "k@acme.test"}}, with_key(key)));
  require_refused(patch(h, "/api/v1/users/" + bob, {{"name", "K"}}, with_key(key)));
  require_refused(del(h, "/api/v1/users/" + bob, with_key(key)));
  // Admins keep every user route through users:manage; members still have none.
  CHECK(patch(h, "/api/v1/users/" + bob, {{"name", "Robert"}}, f.admin).status == 200);
  CHECK(h.client().get("/api/v1/users", f.member_token("bob@acme.test")).status == 403);
}

// roles:read: the key lists and reads roles, and changes none of them.
void check_roles_read(Harness& h, AdminFixture& f) {
  const auto role = id_of(h.client().post(
      "/api/v1/roles", {{"name", "DevOps"}, {"maxSessionDurationHours", 4}}, f.admin));
  const auto bob = f.member("bob@acme.test");
  REQUIRE(h.client()
              .post("/api/v1/roles/" + role + "/users/" + bob, nlohmann::json::object(), f.admin)
              .status == 200);
  const auto key = h.key({"roles:read"});
  const auto list = h.client().get("/api/v1/roles", with_key(key));
  REQUIRE(list.status == 200);
  CHECK(list.json() == h.client().get("/api/v1/roles", f.admin).json());
  REQUIRE(list.json().size() == 1);
  CHECK(list.json()[0].at("userIds") == nlohmann::json::array({bob}));
  const auto one = h.client().get("/api/v1/roles/" + role, with_key(key));
  REQUIRE(one.status == 200);
  CHECK(one.json().at("maxSessionDurationHours") == 4);
  const auto path = "/api/v1/roles/" + role;
  require_refused(h.client().post("/api/v1/roles", {{"name", "K"}}, with_key(key)));
  require_refused(patch(h, path, {{"name", "K"}}, with_key(key)));
  require_refused(del(h, path, with_key(key)));
  require_refused(h.client().post(path + "/users/" + bob, nlohmann::json::object(), with_key(key)));
  require_refused(del(h, path + "/users/" + bob, with_key(key)));
  require_refused(h.client().post(path + "/resources/x", nlohmann::json::object(), with_key(key)));
  require_refused(del(h, path + "/resources/x", with_key(key)));
  CHECK(patch(h, path, {{"name", "Ops"}}, f.admin).status == 200);
}

}  // namespace

TEST_CASE("e2e: releasing users:read or roles:read is one policy edit, at start") {
  for (const auto& [r, check] :
       {std::pair{&users_read, &check_users_read}, std::pair{&roles_read, &check_roles_read}}) {
    INFO(r->scope);
    TempDir policies;
    copy_shipped_policy(policies.path());
    release_area(policies.path(), *r);
    Harness h(
        [&](Harness& harness) { harness.config.policy_directory = policies.path().string(); });
    AdminFixture f(h);
    check(h, f);
  }
}

TEST_CASE("e2e: releasing users:read or roles:read is one policy edit, hot-reloaded") {
  for (const auto& [r, check] :
       {std::pair{&users_read, &check_users_read}, std::pair{&roles_read, &check_roles_read}}) {
    INFO(r->scope);
    TempDir policies;
    copy_shipped_policy(policies.path());
    Harness h(
        [&](Harness& harness) { harness.config.policy_directory = policies.path().string(); });
    AdminFixture f(h);
    const auto before =
        h.client().post("/api/v1/api-keys", {{"name", "early"}, {"scopes", {r->scope}}}, f.admin);
    CHECK(before.status == 400);  // a future scope is not grantable yet
    release_area(policies.path(), *r);
    const auto outcome = h.server->reload("test");
    for (const auto& problem : outcome.problems) UNSCOPED_INFO(problem);
    REQUIRE(outcome.applied);
    check(h, f);
  }
}
