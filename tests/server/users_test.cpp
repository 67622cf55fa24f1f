// End-to-end: the Users area of API-admin.md over HTTP, on the real server: list, get,
// create, change and delete, each with its body shape and its refusals (a member, an API
// key, another organization's admin), the last-admin rule, inactive and deleted users.
#include <catch2/catch.hpp>

#include <atomic>

#include "admin_fixture.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

const std::vector<std::string> user_fields = {
    "createdAt",  "email", "id",           "isActive", "isOrgAdmin", "lastLoginAt",
    "mfaEnabled", "name",  "platformRole", "role",     "roleNames",  "updatedAt"};

}  // namespace

TEST_CASE("e2e: users are created, listed and read as API-admin.md shapes them") {
  Harness h;
  AdminFixture f(h);
  const auto created = h.client().post("/api/v1/users",
                                       {{"email", "bob@acme.test"},
                                        {"name", "Bob"},
                                        {"isOrgAdmin", false},
                                        {"password", "bob-password"}},
                                       f.admin);
  REQUIRE(created.status == 201);
  const auto bob = created.json();
  CHECK(keys_of(bob) == user_fields);
  CHECK(bob.at("email") == "bob@acme.test");
  CHECK(bob.at("name") == "Bob");
  CHECK(bob.at("isOrgAdmin") == false);
  CHECK(bob.at("role") == "member");
  CHECK(bob.at("platformRole") == "CUSTOMER");
  CHECK(bob.at("isActive") == true);
  CHECK(bob.at("mfaEnabled") == false);
  CHECK(bob.at("lastLoginAt").is_null());
  CHECK(bob.at("roleNames") == nlohmann::json::array());
  CHECK(bob.at("createdAt") == bob.at("updatedAt"));

  // An admin made through isOrgAdmin; a user without a password cannot sign in.
  const auto carol = h.client().post("/api/v1/users",
                                     {{"email", "carol@acme.test"}, {"isOrgAdmin", true}}, f.admin);
  REQUIRE(carol.status == 201);
  CHECK(carol.json().at("isOrgAdmin") == true);
  CHECK(carol.json().at("role") == "admin");
  CHECK(carol.json().at("name") == "carol@acme.test");
  CHECK(sign_in(h, "default", "carol@acme.test", "").status != 200);

  const auto list = h.client().get("/api/v1/users", f.admin);
  REQUIRE(list.status == 200);
  REQUIRE(list.json().size() == 3);  // the bootstrap admin, Bob, Carol
  for (const auto& user : list.json()) CHECK(keys_of(user) == user_fields);

  const auto read = h.client().get("/api/v1/users/" + bob.at("id").get<std::string>(), f.admin);
  REQUIRE(read.status == 200);
  CHECK(read.json() == bob);
  CHECK(sign_in(h, "default", "bob@acme.test", "bob-password").status == 200);
  CHECK_FALSE(h.client()
                  .get("/api/v1/users/" + bob.at("id").get<std::string>(), f.admin)
                  .json()
                  .at("lastLoginAt")
                  .is_null());
  CHECK(f.audited("USER_CREATE") == 2);

  SECTION("the contract's 400s") {
    const auto no_email = h.client().post("/api/v1/users", {{"name", "x"}}, f.admin);
    CHECK(no_email.status == 400);
    CHECK(message_of(no_email) == "email is required");
    CHECK(no_email.json().at("validationErrors").at("email") == "email is required");
    const auto bad = h.client().post("/api/v1/users", {{"email", "no-at-sign"}}, f.admin);
    CHECK(bad.status == 400);
    CHECK(message_of(bad) == "Invalid email format");
    const auto twice = h.client().post("/api/v1/users", {{"email", "bob@acme.test"}}, f.admin);
    CHECK(twice.status == 400);
    CHECK(message_of(twice) ==
          "A user with email 'bob@acme.test' already exists in this organization");
    const auto several = h.client().post(
        "/api/v1/users", {{"email", "x"}, {"isOrgAdmin", "yes"}, {"password", "short"}}, f.admin);
    CHECK(several.status == 400);
    CHECK(several.json().at("validationErrors").size() == 3);
    const auto contradiction = h.client().post(
        "/api/v1/users", {{"email", "d@acme.test"}, {"isOrgAdmin", true}, {"role", "member"}},
        f.admin);
    CHECK(contradiction.status == 400);
    CHECK(contradiction.json().at("validationErrors").contains("isOrgAdmin"));
    // The policy's stand-in role for users who must set up MFA is nobody's to hold.
    const auto stand_in = h.client().post(
        "/api/v1/users", {{"email", "e@acme.test"}, {"role", "mfa-setup"}}, f.admin);
    CHECK(stand_in.status == 400);
    CHECK(stand_in.json().at("validationErrors").at("role") == "must be one of: admin, member");
    const auto missing = h.client().get("/api/v1/users/nobody", f.admin);
    CHECK(missing.status == 404);
    CHECK(message_of(missing) == "User not found with id: nobody");
  }
  SECTION("a member, a key and another organization are refused") {
    const auto bob_id = bob.at("id").get<std::string>();
    const auto member = signed_in(h, "default", "bob@acme.test", "bob-password");
    CHECK(h.client().get("/api/v1/users", member).status == 403);
    CHECK(h.client().get("/api/v1/users/" + bob_id, member).status == 403);
    CHECK(h.client().post("/api/v1/users", {{"email", "e@acme.test"}}, member).status == 403);
    const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
    for (const auto& reply :
         {h.client().get("/api/v1/users", with_key(key)),
          h.client().get("/api/v1/users/" + bob_id, with_key(key)),
          h.client().post("/api/v1/users", {{"email", "e@acme.test"}}, with_key(key))}) {
      CHECK(reply.status == 403);
      CHECK(reply.body == key_not_supported_body);
    }
    CHECK(h.client().get("/api/v1/users/" + bob_id, f.other_admin).status == 404);
    const auto theirs = h.client().get("/api/v1/users", f.other_admin);
    REQUIRE(theirs.status == 200);
    REQUIRE(theirs.json().size() == 1);
    CHECK(theirs.json()[0].at("email") == "boss@other.test");
    // The same email in another organization is another user.
    CHECK(h.client().post("/api/v1/users", {{"email", "bob@acme.test"}}, f.other_admin).status ==
          201);
  }
}

TEST_CASE("e2e: users are changed by PATCH, only the given fields, and keep an admin") {
  Harness h;
  AdminFixture f(h);
  const auto me = h.client().get("/api/v1/auth/me", f.admin).json().at("id").get<std::string>();
  const auto bob = f.member("bob@acme.test");
  const auto path = "/api/v1/users/" + bob;

  const auto renamed = patch(h, path, {{"name", "Robert"}}, f.admin);
  REQUIRE(renamed.status == 200);
  CHECK(keys_of(renamed.json()) == user_fields);
  CHECK(renamed.json().at("name") == "Robert");
  CHECK(renamed.json().at("isOrgAdmin") == false);
  CHECK(renamed.json().at("isActive") == true);
  CHECK(patch(h, path, {{"name", ""}}, f.admin).status == 400);
  CHECK(patch(h, path, {{"isActive", "no"}}, f.admin).status == 400);

  // The last admin can be neither demoted, nor deactivated, nor deleted.
  const auto demote = patch(h, "/api/v1/users/" + me, {{"isOrgAdmin", false}}, f.admin);
  CHECK(demote.status == 400);
  CHECK(message_of(demote) == "Cannot demote the last organization admin");
  const auto deactivate = patch(h, "/api/v1/users/" + me, {{"isActive", false}}, f.admin);
  CHECK(deactivate.status == 400);
  CHECK(message_of(deactivate) == "Cannot deactivate the last organization admin");
  const auto remove = del(h, "/api/v1/users/" + me, f.admin);
  CHECK(remove.status == 400);
  CHECK(message_of(remove) == "Cannot delete the last organization admin");
  CHECK(h.client().get("/api/v1/users/" + me, f.admin).json().at("isOrgAdmin") == true);

  // With Bob promoted there are two admins: the first may step down, and Bob is the last.
  const auto promoted = patch(h, path, {{"isOrgAdmin", true}}, f.admin);
  REQUIRE(promoted.status == 200);
  CHECK(promoted.json().at("isOrgAdmin") == true);
  CHECK(promoted.json().at("role") == "admin");
  const auto bob_admin = f.member_token("bob@acme.test");
  const auto stepped_down = patch(h, "/api/v1/users/" + me, {{"isOrgAdmin", false}}, bob_admin);
  REQUIRE(stepped_down.status == 200);
  CHECK(stepped_down.json().at("role") == "member");
  CHECK(h.client().get("/api/v1/users", f.admin).status == 403);  // no longer an admin
  CHECK(patch(h, path, {{"isOrgAdmin", false}}, bob_admin).status == 400);
  CHECK(patch(h, "/api/v1/users/" + me, {{"isOrgAdmin", true}}, bob_admin).status == 200);

  // An inactive user cannot sign in, and its token stops working at once.
  const auto carol = f.member("carol@acme.test");
  const auto carol_token = f.member_token("carol@acme.test");
  CHECK(h.client().get("/api/v1/sessions", carol_token).status == 200);
  const auto inactive = patch(h, "/api/v1/users/" + carol, {{"isActive", false}}, bob_admin);
  REQUIRE(inactive.status == 200);
  CHECK(inactive.json().at("isActive") == false);
  CHECK(h.client().get("/api/v1/sessions", carol_token).status == 401);
  CHECK(sign_in(h, "default", "carol@acme.test", "member-password").status == 401);
  CHECK(patch(h, "/api/v1/users/" + carol, {{"isActive", true}}, bob_admin).status == 200);
  CHECK(sign_in(h, "default", "carol@acme.test", "member-password").status == 200);
  CHECK(f.audited("USER_UPDATE") == 6);

  // Refusals: a member, a key, another organization.
  const auto member = f.member_token("carol@acme.test");
  CHECK(patch(h, path, {{"name", "x"}}, member).status == 403);
  const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
  const auto by_key = patch(h, path, {{"name", "x"}}, with_key(key));
  CHECK(by_key.status == 403);
  CHECK(by_key.body == key_not_supported_body);
  const auto elsewhere = patch(h, path, {{"name", "x"}}, f.other_admin);
  CHECK(elsewhere.status == 404);
  CHECK(message_of(elsewhere) == "User not found with id: " + bob);
  CHECK(h.client().get(path, f.admin).json().at("name") == "Robert");
}

TEST_CASE("e2e: a deleted user is gone, cannot sign in or use its keys, and its email is free") {
  Harness h;
  AdminFixture f(h);
  const auto carol = f.member("carol@acme.test", {{"isOrgAdmin", true}});
  const auto carol_key =
      h.client()
          .post("/api/v1/api-keys", {{"name", "carol's"}, {"scopes", {"sessions:read"}}},
                f.member_token("carol@acme.test"))
          .json()
          .at("plainTextKey")
          .get<std::string>();
  CHECK(h.client().get("/api/v1/sessions", with_key(carol_key)).status == 200);
  CHECK(del(h, "/api/v1/users/" + carol, f.admin).status == 204);
  CHECK(h.client().get("/api/v1/sessions", with_key(carol_key)).status == 401);
  const auto listed = h.client().get("/api/v1/api-keys", f.admin).json();
  REQUIRE(listed.size() == 1);  // still listed, under the freed email
  CHECK(listed[0].at("createdByEmail") == "carol@acme.test (deleted " + carol + ")");

  const auto bob = f.member("bob@acme.test");
  const auto path = "/api/v1/users/" + bob;
  const auto token = f.member_token("bob@acme.test");

  // Refusals first: a member (Bob himself), a key, another organization.
  CHECK(del(h, path, token).status == 403);
  const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
  const auto by_key = del(h, path, with_key(key));
  CHECK(by_key.status == 403);
  CHECK(by_key.body == key_not_supported_body);
  CHECK(del(h, path, f.other_admin).status == 404);
  CHECK(h.client().get(path, f.admin).status == 200);

  const auto deleted = del(h, path, f.admin);
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  CHECK(h.client().get(path, f.admin).status == 404);
  CHECK(del(h, path, f.admin).status == 404);
  CHECK(patch(h, path, {{"name", "x"}}, f.admin).status == 404);
  CHECK(h.client().get("/api/v1/users", f.admin).json().size() == 1);
  CHECK(h.client().get("/api/v1/sessions", token).status == 401);
  CHECK(sign_in(h, "default", "bob@acme.test", "member-password").status == 401);
  CHECK(f.audited("USER_DELETE") == 2);

  const auto again = h.client().post(
      "/api/v1/users", {{"email", "bob@acme.test"}, {"password", "member-password"}}, f.admin);
  REQUIRE(again.status == 201);
  CHECK(id_of(again) != bob);
  CHECK(sign_in(h, "default", "bob@acme.test", "member-password").status == 200);
}

TEST_CASE("e2e: user creations that find every password worker busy get 503 with Retry-After") {
  Harness h(one_password_worker);
  const auto admin = h.bearer();
  // Creations at once: each is hashed on the worker (201) or refused at once (503).
  std::atomic<int> next{0};
  expect_busy_worker_refusals(
      [&] {
        const auto email = "busy" + std::to_string(next++) + "@acme.test";
        return h.client().post("/api/v1/users", {{"email", email}, {"password", "Busy-passw0rd"}},
                               admin);
      },
      201, "user creations");
}
