// End-to-end: the Roles area of API-admin.md over HTTP, on the real server: create, list,
// read, change and delete roles, assign resources and users, each with its body shape and
// its refusals (a member, an API key, another organization's admin).
#include <catch2/catch.hpp>

#include "admin_fixture.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

const std::vector<std::string> role_fields = {
    "createdAt", "description", "id",        "maxSessionDurationHours",
    "name",      "resourceIds", "updatedAt", "userIds"};

}  // namespace

TEST_CASE("e2e: roles are created, listed, read, changed and deleted") {
  Harness h;
  AdminFixture f(h);
  const auto created = h.client().post(
      "/api/v1/roles",
      {{"name", "DevOps"}, {"description", "Prod access"}, {"maxSessionDurationHours", 24}},
      f.admin);
  REQUIRE(created.status == 201);
  const auto role = created.json();
  CHECK(keys_of(role) == role_fields);
  CHECK(role.at("name") == "DevOps");
  CHECK(role.at("description") == "Prod access");
  CHECK(role.at("maxSessionDurationHours") == 24);
  CHECK(role.at("resourceIds") == nlohmann::json::array());
  CHECK(role.at("userIds") == nlohmann::json::array());
  const auto id = role.at("id").get<std::string>();
  const auto path = "/api/v1/roles/" + id;
  const auto bare = h.client().post("/api/v1/roles", {{"name", "Backend"}}, f.admin);
  REQUIRE(bare.status == 201);
  CHECK(bare.json().at("description").is_null());
  CHECK(bare.json().at("maxSessionDurationHours").is_null());

  const auto list = h.client().get("/api/v1/roles", f.admin);
  REQUIRE(list.status == 200);
  REQUIRE(list.json().size() == 2);
  CHECK(list.json()[0].at("name") == "Backend");  // by name
  for (const auto& listed : list.json()) CHECK(keys_of(listed) == role_fields);
  const auto read = h.client().get(path, f.admin);
  REQUIRE(read.status == 200);
  CHECK(read.json() == role);

  // PATCH: only the given fields; null clears the description and the cap.
  const auto renamed = patch(h, path, {{"name", "Ops"}}, f.admin);
  REQUIRE(renamed.status == 200);
  CHECK(renamed.json().at("name") == "Ops");
  CHECK(renamed.json().at("description") == "Prod access");
  CHECK(renamed.json().at("maxSessionDurationHours") == 24);
  const auto cleared =
      patch(h, path, {{"description", nullptr}, {"maxSessionDurationHours", nullptr}}, f.admin);
  REQUIRE(cleared.status == 200);
  CHECK(cleared.json().at("description").is_null());
  CHECK(cleared.json().at("maxSessionDurationHours").is_null());
  CHECK(cleared.json().at("name") == "Ops");

  // The contract's 400s and 404.
  const auto no_name = h.client().post("/api/v1/roles", {{"description", "x"}}, f.admin);
  CHECK(no_name.status == 400);
  CHECK(message_of(no_name) == "name is required");
  const auto taken = h.client().post("/api/v1/roles", {{"name", "Backend"}}, f.admin);
  CHECK(taken.status == 400);
  CHECK(message_of(taken) == "A role with name 'Backend' already exists");
  CHECK(message_of(patch(h, path, {{"name", "Backend"}}, f.admin)) ==
        "A role with name 'Backend' already exists");
  CHECK(patch(h, path, {{"name", ""}}, f.admin).status == 400);
  const auto zero =
      h.client().post("/api/v1/roles", {{"name", "Z"}, {"maxSessionDurationHours", 0}}, f.admin);
  CHECK(zero.status == 400);
  CHECK(zero.json().at("validationErrors").at("maxSessionDurationHours") ==
        "must be between 1 and 8760");
  const auto missing = h.client().get("/api/v1/roles/nope", f.admin);
  CHECK(missing.status == 404);
  CHECK(message_of(missing) == "Role not found with id: nope");
  // The same name in another organization is another role.
  CHECK(h.client().post("/api/v1/roles", {{"name", "Backend"}}, f.other_admin).status == 201);

  // Refusals: a member, a key, another organization.
  f.member("bob@acme.test");
  const auto member = f.member_token("bob@acme.test");
  CHECK(h.client().get("/api/v1/roles", member).status == 403);
  CHECK(h.client().get(path, member).status == 403);
  CHECK(h.client().post("/api/v1/roles", {{"name", "M"}}, member).status == 403);
  CHECK(patch(h, path, {{"name", "M"}}, member).status == 403);
  CHECK(del(h, path, member).status == 403);
  const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
  for (const auto& reply :
       {h.client().get("/api/v1/roles", with_key(key)), h.client().get(path, with_key(key)),
        h.client().post("/api/v1/roles", {{"name", "K"}}, with_key(key)),
        patch(h, path, {{"name", "K"}}, with_key(key)), del(h, path, with_key(key))}) {
    CHECK(reply.status == 403);
    CHECK(reply.body == key_not_supported_body);
  }
  CHECK(h.client().get(path, f.other_admin).status == 404);
  CHECK(patch(h, path, {{"name", "Theirs"}}, f.other_admin).status == 404);
  CHECK(del(h, path, f.other_admin).status == 404);
  CHECK(h.client().get("/api/v1/roles", f.other_admin).json().size() == 1);

  const auto deleted = del(h, path, f.admin);
  CHECK(deleted.status == 204);
  CHECK(h.client().get(path, f.admin).status == 404);
  CHECK(del(h, path, f.admin).status == 404);
  CHECK(h.client().get("/api/v1/roles", f.admin).json().size() == 1);
  CHECK(f.audited("ROLE_CREATE") == 2);
  CHECK(f.audited("ROLE_UPDATE") == 2);
  CHECK(f.audited("ROLE_DELETE") == 1);
}

TEST_CASE("e2e: roles gain and lose resources and users") {
  Harness h;
  AdminFixture f(h);
  const auto role = id_of(h.client().post("/api/v1/roles", {{"name", "Backend"}}, f.admin));
  const auto resource = f.resource("db");
  const auto bob = f.member("bob@acme.test");
  const auto theirs = f.resource("theirs", f.other_organization_id);
  const auto role_path = "/api/v1/roles/" + role;
  const auto resource_path = role_path + "/resources/" + resource;
  const auto user_path = role_path + "/users/" + bob;

  const auto assigned = h.client().post(resource_path, nlohmann::json::object(), f.admin);
  CHECK(assigned.status == 200);
  CHECK(assigned.json() == nlohmann::json{{"message", "Resource assigned to role successfully"}});
  const auto twice = h.client().post(resource_path, nlohmann::json::object(), f.admin);
  CHECK(twice.status == 400);
  CHECK(message_of(twice) == "Resource already assigned to this role");
  const auto joined = h.client().post(user_path, nlohmann::json::object(), f.admin);
  CHECK(joined.status == 200);
  CHECK(joined.json() == nlohmann::json{{"message", "User assigned to role successfully"}});
  CHECK(message_of(h.client().post(user_path, nlohmann::json::object(), f.admin)) ==
        "User already assigned to this role");

  const auto read = h.client().get(role_path, f.admin).json();
  CHECK(read.at("resourceIds") == nlohmann::json::array({resource}));
  CHECK(read.at("userIds") == nlohmann::json::array({bob}));
  CHECK(h.client().get("/api/v1/users/" + bob, f.admin).json().at("roleNames") ==
        nlohmann::json::array({"Backend"}));

  // What is not there: another organization's resource or user is unknown here.
  const auto unknown_resource =
      h.client().post(role_path + "/resources/" + theirs, nlohmann::json::object(), f.admin);
  CHECK(unknown_resource.status == 404);
  CHECK(message_of(unknown_resource) == "Resource not found with id: " + theirs);
  const auto unknown_user =
      h.client().post(role_path + "/users/nobody", nlohmann::json::object(), f.admin);
  CHECK(unknown_user.status == 404);
  CHECK(message_of(unknown_user) == "User not found with id: nobody");
  const auto unknown_role =
      h.client().post("/api/v1/roles/nope/users/" + bob, nlohmann::json::object(), f.admin);
  CHECK(unknown_role.status == 404);
  CHECK(message_of(unknown_role) == "Role not found with id: nope");

  // Refusals: a member, a key, another organization.
  const auto member = f.member_token("bob@acme.test");
  for (const auto& reply :
       {h.client().post(resource_path, nlohmann::json::object(), member),
        del(h, resource_path, member), h.client().post(user_path, nlohmann::json::object(), member),
        del(h, user_path, member)}) {
    CHECK(reply.status == 403);
    CHECK(message_of(reply) == "User does not have required scope: roles:manage");
  }
  const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
  for (const auto& reply : {h.client().post(resource_path, nlohmann::json::object(), with_key(key)),
                            del(h, resource_path, with_key(key)),
                            h.client().post(user_path, nlohmann::json::object(), with_key(key)),
                            del(h, user_path, with_key(key))}) {
    CHECK(reply.status == 403);
    CHECK(reply.body == key_not_supported_body);
  }
  // Another organization's admin: this role is unknown there, whatever the link.
  for (const auto& reply : {h.client().post(resource_path, nlohmann::json::object(), f.other_admin),
                            del(h, resource_path, f.other_admin),
                            h.client().post(user_path, nlohmann::json::object(), f.other_admin),
                            del(h, user_path, f.other_admin)}) {
    CHECK(reply.status == 404);
    CHECK(message_of(reply) == "Role not found with id: " + role);
  }
  // And this admin cannot put the other organization's user in this role.
  const auto boss_id = h.client().get("/api/v1/auth/me", f.other_admin).json().at("id");
  const auto foreign_user = h.client().post(role_path + "/users/" + boss_id.get<std::string>(),
                                            nlohmann::json::object(), f.admin);
  CHECK(foreign_user.status == 404);
  CHECK(message_of(foreign_user) == "User not found with id: " + boss_id.get<std::string>());
  CHECK(h.client().get(role_path, f.admin).json().at("userIds") == nlohmann::json::array({bob}));

  CHECK(del(h, resource_path, f.admin).status == 204);
  const auto gone = del(h, resource_path, f.admin);
  CHECK(gone.status == 404);
  CHECK(message_of(gone) == "Resource not assigned to this role");
  CHECK(del(h, user_path, f.admin).status == 204);
  CHECK(message_of(del(h, user_path, f.admin)) == "User not assigned to this role");
  const auto emptied = h.client().get(role_path, f.admin).json();
  CHECK(emptied.at("resourceIds").empty());
  CHECK(emptied.at("userIds").empty());
  CHECK(f.audited("ROLE_ASSIGN") == 2);
  CHECK(f.audited("ROLE_UNASSIGN") == 2);

  // Deleting a role drops its links; the user and the resource stay.
  CHECK(h.client().post(resource_path, nlohmann::json::object(), f.admin).status == 200);
  CHECK(h.client().post(user_path, nlohmann::json::object(), f.admin).status == 200);
  CHECK(del(h, role_path, f.admin).status == 204);
  CHECK(h.client().get("/api/v1/users/" + bob, f.admin).json().at("roleNames").empty());
  CHECK(h.client().get("/api/v1/resources/" + resource, f.admin).status == 200);
  // And deleting a user drops its memberships.
  const auto other_role = id_of(h.client().post("/api/v1/roles", {{"name", "Ops"}}, f.admin));
  CHECK(
      h.client()
          .post("/api/v1/roles/" + other_role + "/users/" + bob, nlohmann::json::object(), f.admin)
          .status == 200);
  CHECK(del(h, "/api/v1/users/" + bob, f.admin).status == 204);
  CHECK(h.client().get("/api/v1/roles/" + other_role, f.admin).json().at("userIds").empty());
}
