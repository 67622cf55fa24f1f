// End-to-end: who may start a session on what, and for how long (admins on every resource,
// others on their roles' resources and their own, capped by their roles'
// maxSessionDurationHours), and the session administration of API-admin.md: every session
// of the organization, stopping any of them, ending a deleted user's sessions.
#include <catch2/catch.hpp>

#include <set>

#include "admin_fixture.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

std::set<std::string> resources_of(const nlohmann::json& session) {
  std::set<std::string> out;
  for (const auto& entry : session.at("resourceIps")) out.insert(entry.at("resourceId"));
  return out;
}

std::chrono::hours length_of(const nlohmann::json& session) {
  const auto started = parse_iso(session.at("startedAt").get<std::string>());
  const auto expires = parse_iso(session.at("expiresAt").get<std::string>());
  REQUIRE(started);
  REQUIRE(expires);
  return std::chrono::duration_cast<std::chrono::hours>(*expires - *started);
}

}  // namespace

TEST_CASE("e2e: users start sessions on their roles' and their own resources, for the roles' cap") {
  Harness h;
  AdminFixture f(h);
  const auto db = f.resource("db");
  const auto web = f.resource("web");
  const auto cache = f.resource("cache");
  const auto bob = f.member("bob@acme.test", {{"resourceIds", {web}}});
  const auto bob_token = f.member_token("bob@acme.test");
  const nlohmann::json at = {{"ipv4Address", "192.0.2.10"}};

  // Directly assigned only, at the members' limit (8 hours).
  const auto direct = h.client().post("/api/v1/sessions", at, bob_token);
  REQUIRE(direct.status == 201);
  CHECK(resources_of(direct.json()) == std::set<std::string>{web});
  CHECK(h.client().post("/api/v1/sessions", {{"durationHours", 8}}, bob_token).status == 201);

  // Through a role with a 2-hour cap: its resource too, and at most 2 hours.
  const auto role = id_of(h.client().post(
      "/api/v1/roles", {{"name", "Backend"}, {"maxSessionDurationHours", 2}}, f.admin));
  REQUIRE(h.client()
              .post("/api/v1/roles/" + role + "/resources/" + db, nlohmann::json::object(), f.admin)
              .status == 200);
  REQUIRE(h.client()
              .post("/api/v1/roles/" + role + "/users/" + bob, nlohmann::json::object(), f.admin)
              .status == 200);
  const auto capped = h.client().post("/api/v1/sessions", {{"durationHours", 3}}, bob_token);
  CHECK(capped.status == 400);
  CHECK(capped.json().at("validationErrors").at("durationHours") == "must be between 1 and 2");
  const auto through_role = h.client().post(
      "/api/v1/sessions", {{"durationHours", 2}, {"ipv4Address", "192.0.2.10"}}, bob_token);
  REQUIRE(through_role.status == 201);
  CHECK(resources_of(through_role.json()) == std::set<std::string>{db, web});
  CHECK(length_of(through_role.json()) == std::chrono::hours(2));
  const auto extended = h.client().post("/api/v1/sessions/" + id_of(through_role) + "/extend",
                                        {{"additionalHours", 1}}, bob_token);
  CHECK(extended.status == 400);
  CHECK(extended.json().at("validationErrors").at("additionalHours") ==
        "the session would exceed the maximum duration of 2 hours");

  // The shortest cap of the user's roles wins; a role without one does not lift it.
  const auto open = id_of(h.client().post("/api/v1/roles", {{"name", "Open"}}, f.admin));
  REQUIRE(h.client()
              .post("/api/v1/roles/" + open + "/users/" + bob, nlohmann::json::object(), f.admin)
              .status == 200);
  CHECK(h.client().post("/api/v1/sessions", {{"durationHours", 3}}, bob_token).status == 400);
  REQUIRE(
      patch(h, "/api/v1/roles/" + role, {{"maxSessionDurationHours", nullptr}}, f.admin).status ==
      200);
  CHECK(h.client().post("/api/v1/sessions", {{"durationHours", 8}}, bob_token).status == 201);

  // Admins start on every resource of the organization, whatever their roles.
  const auto admin_session = h.client().post("/api/v1/sessions", at, f.admin);
  REQUIRE(admin_session.status == 201);
  CHECK(resources_of(admin_session.json()) == std::set<std::string>{db, web, cache});

  // Leaving the role takes its resources away from the next session.
  REQUIRE(del(h, "/api/v1/roles/" + role + "/users/" + bob, f.admin).status == 204);
  CHECK(resources_of(h.client().post("/api/v1/sessions", at, bob_token).json()) ==
        std::set<std::string>{web});
}

TEST_CASE("e2e: admins list every session of the organization and stop any of them") {
  Harness h;
  AdminFixture f(h);
  const auto db = f.resource("db");
  const auto bob = f.member("bob@acme.test", {{"resourceIds", {db}}});
  const auto bob_token = f.member_token("bob@acme.test");
  REQUIRE(h.client().post("/api/v1/roles", {{"name", "R"}}, f.admin).status == 201);
  const nlohmann::json at = {{"ipv4Address", "192.0.2.10"}};
  const auto mine = id_of(h.client().post("/api/v1/sessions", at, f.admin));
  const auto bobs = h.client().post("/api/v1/sessions", at, bob_token);
  REQUIRE(bobs.status == 201);
  const auto theirs = id_of(h.client().post("/api/v1/sessions", at, f.other_admin));

  const auto list = h.client().get("/api/v1/sessions/admin", f.admin);
  REQUIRE(list.status == 200);
  REQUIRE(list.json().size() == 2);      // not the other organization's
  CHECK(list.json()[0] == bobs.json());  // newest first, the body of GET /sessions/{id}
  CHECK(list.json()[0].at("userEmail") == "bob@acme.test");
  CHECK(list.json()[1].at("id") == mine);
  const auto below = h.client().get("/api/v1/sessions/admin/more", f.admin);
  CHECK(below.status == 404);
  CHECK(message_of(below) == "No endpoint matches this path");  // as for any unknown path

  const auto stopped = h.client().post("/api/v1/sessions/admin/" + id_of(bobs) + "/stop",
                                       nlohmann::json::object(), f.admin);
  REQUIRE(stopped.status == 200);
  const auto session = stopped.json();
  CHECK(session.at("status") == "EXPIRING");
  CHECK(session.at("endedReason") == "ADMIN");
  CHECK_FALSE(session.at("endedAt").is_null());
  CHECK(session.at("userEmail") == "bob@acme.test");
  REQUIRE(session.at("resourceIps").size() == 1);
  CHECK(session.at("resourceIps")[0].at("status") == "REMOVING");
  CHECK(eventually([&] {
    return h.client().get("/api/v1/sessions/" + id_of(bobs), bob_token).json().at("status") ==
           "CANCELLED";
  }));
  const auto again = h.client().post("/api/v1/sessions/admin/" + id_of(bobs) + "/stop",
                                     nlohmann::json::object(), f.admin);
  CHECK(again.status == 400);
  CHECK(again.json().at("message") == "Session cannot be stopped");
  CHECK(h.client()
            .post("/api/v1/sessions/admin/nope/stop", nlohmann::json::object(), f.admin)
            .status == 404);
  CHECK(f.audited("SESSION_STOP") == 1);

  // Refusals: a member, a key, another organization.
  CHECK(h.client().get("/api/v1/sessions/admin", bob_token).status == 403);
  CHECK(h.client()
            .post("/api/v1/sessions/admin/" + mine + "/stop", nlohmann::json::object(), bob_token)
            .status == 403);
  const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
  for (const auto& reply : {h.client().get("/api/v1/sessions/admin", with_key(key)),
                            h.client().post("/api/v1/sessions/admin/" + mine + "/stop",
                                            nlohmann::json::object(), with_key(key))}) {
    CHECK(reply.status == 403);
    CHECK(reply.body == key_not_supported_body);
  }
  CHECK(
      h.client()
          .post("/api/v1/sessions/admin/" + mine + "/stop", nlohmann::json::object(), f.other_admin)
          .status == 404);
  CHECK(h.client()
            .post("/api/v1/sessions/admin/" + theirs + "/stop", nlohmann::json::object(), f.admin)
            .status == 404);
  CHECK(h.client().get("/api/v1/sessions/" + mine, f.admin).json().at("status") == "ACTIVE");

  // Deleting a user ends their running sessions; the admin list still shows them.
  const auto running = id_of(h.client().post("/api/v1/sessions", at, bob_token));
  REQUIRE(del(h, "/api/v1/users/" + bob, f.admin).status == 204);
  const auto after = h.client().get("/api/v1/sessions/admin", f.admin).json();
  REQUIRE(after.size() == 3);
  CHECK(after[0].at("id") == running);
  CHECK(after[0].at("endedReason") == "ADMIN");
  CHECK((after[0].at("status") == "EXPIRING" || after[0].at("status") == "CANCELLED"));
  CHECK(after[0].at("userEmail").get<std::string>().rfind("bob@acme.test (deleted ", 0) == 0);
}

TEST_CASE(
    "e2e: an admin's API key acts on its creator's sessions only, and an admin signed in "
    "extends a member's session within the member's cap and stops it as ADMIN") {
  Harness h;
  AdminFixture f(h);
  f.member("bob@acme.test");
  const auto bob_token = f.member_token("bob@acme.test");
  const nlohmann::json at = {{"ipv4Address", "192.0.2.10"}};
  const auto bobs = id_of(h.client().post(
      "/api/v1/sessions", {{"ipv4Address", "192.0.2.10"}, {"durationHours", 2}}, bob_token));
  const auto key = with_key(h.key({"sessions:read", "sessions:write"}));

  // Every session of the organization is the user-only /sessions/admin's business.
  CHECK(h.client().get("/api/v1/sessions/" + bobs, key).status == 404);
  CHECK(
      h.client().post("/api/v1/sessions/" + bobs + "/stop", nlohmann::json::object(), key).status ==
      404);
  CHECK(h.client()
            .post("/api/v1/sessions/" + bobs + "/extend", {{"additionalHours", 1}}, key)
            .status == 404);
  const auto admins = id_of(h.client().post("/api/v1/sessions", at, f.admin));
  CHECK(h.client().get("/api/v1/sessions/" + admins, key).status == 200);

  // The admin signed in still may; Bob's 2-hour session grows to the members' cap of 8
  // hours, not to the admins' 24.
  CHECK(h.client().get("/api/v1/sessions/" + bobs, f.admin).status == 200);
  const auto beyond =
      h.client().post("/api/v1/sessions/" + bobs + "/extend", {{"additionalHours", 7}}, f.admin);
  CHECK(beyond.status == 400);
  CHECK(beyond.json().at("validationErrors").at("additionalHours") ==
        "the session would exceed the maximum duration of 8 hours");
  CHECK(h.client()
            .post("/api/v1/sessions/" + bobs + "/extend", {{"additionalHours", 6}}, f.admin)
            .status == 200);
  // Stopping it there is what /sessions/admin does; stopping one's own is MANUAL.
  const auto stopped =
      h.client().post("/api/v1/sessions/" + bobs + "/stop", nlohmann::json::object(), f.admin);
  REQUIRE(stopped.status == 200);
  CHECK(stopped.json().at("endedReason") == "ADMIN");
  const auto own =
      h.client().post("/api/v1/sessions/" + admins + "/stop", nlohmann::json::object(), f.admin);
  CHECK(own.json().at("endedReason") == "MANUAL");
}
