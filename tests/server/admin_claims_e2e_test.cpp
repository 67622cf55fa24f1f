// End-to-end checks of what docs/server.md claims about users and roles and that no other
// test asserts (docs-20 review, section 3): what deleting a resource or a user drops,
// sorting, case-sensitive role names, a deleted user on a role's link routes, inactive
// users' keys and sign-ins, the details of the users' and roles' audit entries, the plan's
// user limit, foreign resourceIds, a user without a password, the sessions of a deleted user
// or role, and a user whose invitation link could not be stored.
#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <string>
#include <utility>

#include "admin_fixture.hpp"
#include "database_sql.hpp"
#include "outbox.hpp"
#include "server/store/postgres_pool.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

// The newest audit entry of `event` in the default organization.
nlohmann::json newest_audit_entry(Harness& h, const Headers& admin, const std::string& event) {
  const auto page = h.client().get("/api/v1/audit-logs?eventType=" + event, admin);
  REQUIRE(page.status == 200);
  const auto content = page.json().at("content");
  REQUIRE(!content.empty());
  return content[0];
}

// The ids of the resources a user may start sessions on (direct assignments and roles).
std::vector<std::string> assigned_resource_ids(Harness& h, const std::string& user_id) {
  const auto resources = h.open_store()->list_user_resources(user_id);
  REQUIRE(resources);
  std::vector<std::string> ids;
  for (const auto& resource : *resources) ids.push_back(resource.id);
  return ids;
}

}  // namespace

TEST_CASE("e2e: deleting a resource drops its role links and its users' direct assignments") {
  Harness h;
  AdminFixture f(h);
  const auto resource = h.resource("db");
  const auto kept = h.resource("cache");
  const auto carol = f.member("carol@acme.test", {{"resourceIds", {resource, kept}}});
  const auto role = id_of(h.client().post("/api/v1/roles", {{"name", "Ops"}}, f.admin));
  const auto role_path = "/api/v1/roles/" + role;
  for (const auto& id : {resource, kept}) {
    REQUIRE(
        h.client().post(role_path + "/resources/" + id, nlohmann::json::object(), f.admin).status ==
        200);
  }
  auto both = std::vector<std::string>{resource, kept};
  std::sort(both.begin(), both.end());
  CHECK(h.client().get(role_path, f.admin).json().at("resourceIds") == nlohmann::json(both));
  CHECK(assigned_resource_ids(h, carol).size() == 2);

  REQUIRE(del(h, "/api/v1/resources/" + resource, f.admin).status == 204);
  CHECK(h.client().get(role_path, f.admin).json().at("resourceIds") ==
        nlohmann::json::array({kept}));
  CHECK(assigned_resource_ids(h, carol) == std::vector<std::string>{kept});
  // Adding the link again names the resource as unknown, not as already linked.
  const auto relink =
      h.client().post(role_path + "/resources/" + resource, nlohmann::json::object(), f.admin);
  CHECK(relink.status == 404);
  CHECK(message_of(relink) == "Resource not found with id: " + resource);
}

TEST_CASE("e2e: deleting a user drops its direct resource assignments and its role memberships") {
  Harness h;
  AdminFixture f(h);
  const auto resource = f.resource("db");
  const auto carol = f.member("carol@acme.test", {{"resourceIds", {resource}}});
  CHECK(assigned_resource_ids(h, carol) == std::vector<std::string>{resource});
  REQUIRE(del(h, "/api/v1/users/" + carol, f.admin).status == 204);
  CHECK(assigned_resource_ids(h, carol).empty());
  // The email is free again; the new user starts with nothing assigned.
  const auto again = f.member("carol@acme.test");
  CHECK(again != carol);
  CHECK(assigned_resource_ids(h, again).empty());
}

TEST_CASE("e2e: a user's roleNames and a role's resourceIds and userIds come sorted") {
  Harness h;
  AdminFixture f(h);
  // Created (and linked) in the reverse of the expected order.
  const auto zeta = id_of(h.client().post("/api/v1/roles", {{"name", "Zeta"}}, f.admin));
  const auto alpha = id_of(h.client().post("/api/v1/roles", {{"name", "Alpha"}}, f.admin));
  const auto middle = id_of(h.client().post("/api/v1/roles", {{"name", "Mu"}}, f.admin));
  const auto bob = f.member("bob@acme.test");
  const auto carol = f.member("carol@acme.test");
  const auto first = f.resource("first");
  const auto second = f.resource("second");
  for (const auto& role : {zeta, middle, alpha}) {
    REQUIRE(h.client()
                .post("/api/v1/roles/" + role + "/users/" + bob, nlohmann::json::object(), f.admin)
                .status == 200);
  }
  const auto user = h.client().get("/api/v1/users/" + bob, f.admin);
  REQUIRE(user.status == 200);
  CHECK(user.json().at("roleNames") == nlohmann::json::array({"Alpha", "Mu", "Zeta"}));
  const auto listed = h.client().get("/api/v1/users", f.admin).json();
  const auto in_list = std::find_if(listed.begin(), listed.end(), [&](const nlohmann::json& item) {
    return item.at("id") == bob;
  });
  REQUIRE(in_list != listed.end());
  CHECK(in_list->at("roleNames") == nlohmann::json::array({"Alpha", "Mu", "Zeta"}));

  auto users = std::vector<std::string>{carol, bob};
  auto resources = std::vector<std::string>{second, first};
  for (const auto& id : users) {
    REQUIRE(h.client()
                .post("/api/v1/roles/" + alpha + "/users/" + id, nlohmann::json::object(), f.admin)
                .status == (id == bob ? 400 : 200));  // bob is in it already
  }
  for (const auto& id : resources) {
    REQUIRE(
        h.client()
            .post("/api/v1/roles/" + alpha + "/resources/" + id, nlohmann::json::object(), f.admin)
            .status == 200);
  }
  std::sort(users.begin(), users.end());
  std::sort(resources.begin(), resources.end());
  const auto role = h.client().get("/api/v1/roles/" + alpha, f.admin).json();
  CHECK(role.at("userIds") == nlohmann::json(users));
  CHECK(role.at("resourceIds") == nlohmann::json(resources));
}

TEST_CASE("e2e: role names are unique in an organization, case-sensitively") {
  Harness h;
  AdminFixture f(h);
  REQUIRE(h.client().post("/api/v1/roles", {{"name", "Backend"}}, f.admin).status == 201);
  const auto lower = h.client().post("/api/v1/roles", {{"name", "backend"}}, f.admin);
  CHECK(lower.status == 201);
  CHECK(lower.json().at("name") == "backend");
  const auto taken = h.client().post("/api/v1/roles", {{"name", "Backend"}}, f.admin);
  CHECK(taken.status == 400);
  CHECK(taken.json().at("validationErrors").contains("name"));
  // Renaming onto another role's name differing only in case is allowed too.
  const auto upper = id_of(h.client().post("/api/v1/roles", {{"name", "BACKEND"}}, f.admin));
  CHECK(patch(h, "/api/v1/roles/" + upper, {{"name", "BackEnd"}}, f.admin).status == 200);
  CHECK(h.client().get("/api/v1/roles", f.admin).json().size() == 3);
}

TEST_CASE("e2e: a deleted user is not found on a role's link routes") {
  Harness h;
  AdminFixture f(h);
  const auto role = id_of(h.client().post("/api/v1/roles", {{"name", "Ops"}}, f.admin));
  const auto gone = f.member("gone@acme.test");
  REQUIRE(del(h, "/api/v1/users/" + gone, f.admin).status == 204);
  const auto added = h.client().post("/api/v1/roles/" + role + "/users/" + gone,
                                     nlohmann::json::object(), f.admin);
  CHECK(added.status == 404);
  CHECK(message_of(added) == "User not found with id: " + gone);
  CHECK(h.client().get("/api/v1/roles/" + role, f.admin).json().at("userIds").empty());
}

TEST_CASE(
    "e2e: an inactive user's sign-in is audited as disabled, and its keys are refused until "
    "it is reactivated") {
  Harness h;
  AdminFixture f(h);
  const auto carol = f.member("carol@acme.test", {{"isOrgAdmin", true}});
  const auto created =
      h.client().post("/api/v1/api-keys", {{"name", "carol's"}, {"scopes", {"sessions:read"}}},
                      f.member_token("carol@acme.test"));
  REQUIRE(created.status == 201);
  const auto key = with_key(created.json().at("plainTextKey").get<std::string>());
  CHECK(h.client().get("/api/v1/sessions", key).status == 200);

  REQUIRE(patch(h, "/api/v1/users/" + carol, {{"isActive", false}}, f.admin).status == 200);
  CHECK(h.client().get("/api/v1/sessions", key).status == 401);
  CHECK(sign_in(h, "default", "carol@acme.test", "member-password").status == 401);
  // The refused sign-in is audited (batched: it appears within a flush interval).
  REQUIRE(eventually([&] {
    const auto page =
        h.client().get("/api/v1/audit-logs?eventType=USER_LOGIN&size=100", f.admin).json();
    for (const auto& entry : page.at("content")) {
      if (entry.at("result") == "FAILURE" && entry.at("actorEmail") == "carol@acme.test" &&
          entry.at("errorMessage") == "user account is disabled") {
        return true;
      }
    }
    return false;
  }));

  REQUIRE(patch(h, "/api/v1/users/" + carol, {{"isActive", true}}, f.admin).status == 200);
  CHECK(h.client().get("/api/v1/sessions", key).status == 200);
}

TEST_CASE("e2e: user and role audit entries name their target and hold the details") {
  Harness h;
  AdminFixture f(h);
  const auto bob = f.member("bob@acme.test");
  const auto created = newest_audit_entry(h, f.admin, "USER_CREATE");
  CHECK(created.at("resourceType") == "USER");
  CHECK(created.at("resourceId") == bob);
  CHECK(created.at("resourceName") == "bob@acme.test");
  CHECK(created.at("details") == nlohmann::json{{"isOrgAdmin", false}, {"role", "member"}});
  const auto admin = f.member("root@acme.test", {{"isOrgAdmin", true}});
  CHECK(newest_audit_entry(h, f.admin, "USER_CREATE").at("details") ==
        nlohmann::json{{"isOrgAdmin", true}, {"role", "admin"}});

  REQUIRE(patch(h, "/api/v1/users/" + bob, {{"name", "Robert"}}, f.admin).status == 200);
  const auto updated = newest_audit_entry(h, f.admin, "USER_UPDATE");
  CHECK(updated.at("resourceType") == "USER");
  CHECK(updated.at("resourceName") == "bob@acme.test");
  CHECK(updated.at("details") == nlohmann::json{{"name", "Robert"}});

  const auto role = id_of(h.client().post("/api/v1/roles", {{"name", "Ops"}}, f.admin));
  const auto resource = f.resource("db");
  REQUIRE(h.client()
              .post("/api/v1/roles/" + role + "/resources/" + resource, nlohmann::json::object(),
                    f.admin)
              .status == 200);
  const auto resource_link = newest_audit_entry(h, f.admin, "ROLE_ASSIGN");
  CHECK(resource_link.at("resourceType") == "ROLE");
  CHECK(resource_link.at("resourceId") == role);
  CHECK(resource_link.at("details").at("resourceId") == resource);
  REQUIRE(h.client()
              .post("/api/v1/roles/" + role + "/users/" + bob, nlohmann::json::object(), f.admin)
              .status == 200);
  CHECK(newest_audit_entry(h, f.admin, "ROLE_ASSIGN").at("details").at("userId") == bob);
  REQUIRE(del(h, "/api/v1/roles/" + role + "/users/" + bob, f.admin).status == 204);
  const auto unlinked = newest_audit_entry(h, f.admin, "ROLE_UNASSIGN");
  CHECK(unlinked.at("resourceType") == "ROLE");
  CHECK(unlinked.at("details").at("userId") == bob);

  REQUIRE(del(h, "/api/v1/users/" + admin, f.admin).status == 204);
  const auto deleted = newest_audit_entry(h, f.admin, "USER_DELETE");
  CHECK(deleted.at("resourceType") == "USER");
  CHECK(deleted.at("resourceId") == admin);
}

TEST_CASE("e2e: the plan's user limit is refused on the email field") {
  Harness h;
  const auto founder = register_free_organization(h);
  for (const auto* email : {"two@small.test", "three@small.test"}) {
    REQUIRE(h.client().post("/api/v1/users", {{"email", email}}, founder).status == 201);
  }
  const auto refused = h.client().post("/api/v1/users", {{"email", "four@small.test"}}, founder);
  CHECK(refused.status == 400);
  CHECK(refused.json().at("validationErrors") ==
        nlohmann::json{{"email", "User limit of the plan reached: FREE allows 3 users"}});
}

TEST_CASE("e2e: creations sent at once never pass the plan's user limit together") {
  Harness h;
  const auto founder = register_free_organization(h);
  const auto organization =
      h.client().get("/api/v1/auth/me", founder).json().at("organizationId").get<std::string>();
  // Eight at once: each finds two free places before any inserts.
  std::vector<std::future<int>> replies;
  for (int i = 0; i < 8; ++i) {
    replies.push_back(std::async(std::launch::async, [&, i] {
      return h.client()
          .post("/api/v1/users", {{"email", "user" + std::to_string(i) + "@small.test"}}, founder)
          .status;
    }));
  }
  int created = 0;
  for (auto& reply : replies) {
    const int status = reply.get();
    CHECK((status == 201 || status == 400 || status == 503));
    created += status == 201 ? 1 : 0;
  }
  CHECK(created <= 2);
  const auto users = h.open_store()->list_users(organization);
  REQUIRE(users);
  CHECK(users->size() == static_cast<std::size_t>(1 + created));
}

TEST_CASE("e2e: POST /users refuses a resource of another organization in resourceIds") {
  Harness h;
  AdminFixture f(h);
  const auto theirs = f.resource("theirs", f.other_organization_id);
  const auto ours = f.resource("ours");
  const auto refused = h.client().post(
      "/api/v1/users", {{"email", "carol@acme.test"}, {"resourceIds", {ours, theirs}}}, f.admin);
  CHECK(refused.status == 400);
  CHECK(refused.json().at("validationErrors") ==
        nlohmann::json{{"resourceIds", "every id must name a resource of this organization"}});
  // Nobody was created.
  const auto users = h.client().get("/api/v1/users", f.admin).json();
  CHECK(std::none_of(users.begin(), users.end(), [](const nlohmann::json& user) {
    return user.at("email") == "carol@acme.test";
  }));
}

TEST_CASE("e2e: a user created without a password cannot sign in, whatever password is tried") {
  Harness h;
  AdminFixture f(h);
  REQUIRE(h.client().post("/api/v1/users", {{"email", "nopass@acme.test"}}, f.admin).status == 201);
  for (const auto* password : {"member-password", "x", " "}) {
    const auto refused = sign_in(h, "default", "nopass@acme.test", password);
    INFO(password);
    CHECK(refused.status == 401);
    CHECK(message_of(refused) == "invalid organization, email or password");
  }
}

TEST_CASE(
    "e2e: deleting or deactivating a user ends its running sessions, each audited as "
    "SESSION_STOP") {
  for (const bool deleting : {true, false}) {
    INFO((deleting ? "deleting" : "deactivating"));
    Harness h;
    AdminFixture f(h);
    const auto db = f.resource("db");
    const auto bob = f.member("bob@acme.test", {{"resourceIds", {db}}});
    const auto bob_token = f.member_token("bob@acme.test");
    const auto session =
        h.client().post("/api/v1/sessions", {{"ipv4Address", "192.0.2.10"}}, bob_token);
    REQUIRE(session.status == 201);
    CHECK(f.audited("SESSION_STOP") == 0);
    if (deleting) {
      REQUIRE(del(h, "/api/v1/users/" + bob, f.admin).status == 204);
    } else {
      REQUIRE(patch(h, "/api/v1/users/" + bob, {{"isActive", false}}, f.admin).status == 200);
    }
    CHECK(f.audited("SESSION_STOP") == 1);
    const auto stop = newest_audit_entry(h, f.admin, "SESSION_STOP");
    CHECK(stop.at("resourceId") == id_of(session));
    CHECK(stop.at("details").at("endedReason") == "ADMIN");
    const auto stopped = h.client().get("/api/v1/sessions/admin", f.admin).json().at(0);
    CHECK(stopped.at("id") == id_of(session));
    CHECK(stopped.at("endedReason") == "ADMIN");
    CHECK((stopped.at("status") == "EXPIRING" || stopped.at("status") == "CANCELLED"));
    CHECK(h.client().get("/api/v1/sessions", bob_token).status == 401);
  }
}

TEST_CASE("e2e: deleting a role leaves the sessions started through it running") {
  Harness h;
  AdminFixture f(h);
  const auto db = f.resource("db");
  const auto bob = f.member("bob@acme.test");
  const auto bob_token = f.member_token("bob@acme.test");
  const auto role = id_of(h.client().post("/api/v1/roles", {{"name", "Ops"}}, f.admin));
  REQUIRE(h.client()
              .post("/api/v1/roles/" + role + "/resources/" + db, nlohmann::json::object(), f.admin)
              .status == 200);
  REQUIRE(h.client()
              .post("/api/v1/roles/" + role + "/users/" + bob, nlohmann::json::object(), f.admin)
              .status == 200);
  const auto started =
      h.client().post("/api/v1/sessions", {{"ipv4Address", "192.0.2.10"}}, bob_token);
  REQUIRE(started.status == 201);
  REQUIRE(started.json().at("resourceIps").size() == 1);
  const auto path = "/api/v1/sessions/" + id_of(started);
  REQUIRE(
      eventually([&] { return h.client().get(path, bob_token).json().at("status") == "ACTIVE"; }));

  REQUIRE(del(h, "/api/v1/roles/" + role, f.admin).status == 204);
  CHECK(h.client().get("/api/v1/users/" + bob, f.admin).json().at("roleNames").empty());
  // The session and its entry are as they were.
  const auto after = h.client().get(path, bob_token).json();
  CHECK(after.at("status") == "ACTIVE");
  CHECK(after.at("endedAt").is_null());
  CHECK(after.at("resourceIps").at(0).at("status") == "APPLIED");
  CHECK(f.audited("SESSION_STOP") == 0);
}

TEST_CASE(
    "e2e: when the invitation link cannot be stored, POST /users answers 500 and the user "
    "exists without an invitation, until an admin deletes and creates it again") {
  Harness h;
  AdminFixture f(h);
  // Another program makes every insert of a one-time token fail.
  if (test_store() == StoreKind::postgres) {
    sql_rows(h,
             "CREATE FUNCTION refuse_one_time_tokens() RETURNS trigger LANGUAGE plpgsql AS "
             "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$");
    sql_rows(h,
             "CREATE TRIGGER refuse_one_time_tokens BEFORE INSERT ON one_time_tokens FOR EACH ROW "
             "EXECUTE FUNCTION refuse_one_time_tokens()");
  } else {
    sql_rows(h,
             "CREATE TRIGGER refuse_one_time_tokens BEFORE INSERT ON one_time_tokens BEGIN SELECT "
             "RAISE(ABORT, 'refused by the test'); END");
  }
  const auto failed = h.client().post("/api/v1/users", {{"email", "invited@acme.test"}}, f.admin);
  CHECK(failed.status == 500);
  CHECK(message_of(failed) == "internal error");
  const auto users = h.client().get("/api/v1/users", f.admin).json();
  const auto invited = std::find_if(users.begin(), users.end(), [](const nlohmann::json& user) {
    return user.at("email") == "invited@acme.test";
  });
  REQUIRE(invited != users.end());
  CHECK(unsent_mail(h).empty());
  CHECK(link_token_from_log(h, "invited@acme.test").empty());

  sql_rows(h, "DROP TRIGGER refuse_one_time_tokens" +
                  std::string(test_store() == StoreKind::postgres ? " ON one_time_tokens" : ""));
  REQUIRE(del(h, "/api/v1/users/" + invited->at("id").get<std::string>(), f.admin).status == 204);
  CHECK(h.client().post("/api/v1/users", {{"email", "invited@acme.test"}}, f.admin).status == 201);
  CHECK(unsent_mail(h) == std::vector<std::string>{"invited@acme.test"});
  CHECK(eventually([&] { return !link_token_from_log(h, "invited@acme.test").empty(); }));
}

TEST_CASE(
    "e2e: audit entries a busy database cannot take are written with the next batch, and "
    "a batch it refuses for what it holds is dropped") {
  Harness h([](Harness& server) { server.config.database_timeout_milliseconds = 300; });
  const auto key = h.key({"sessions:read"});
  const auto denied = [&] {
    return sql_rows(h, "SELECT COUNT(*) FROM audit_logs WHERE event_type = 'ACCESS_DENIED'");
  };
  const auto write_errors = [&] {
    const auto metrics = h.client().get("/metrics").body;
    const std::string name = "\nscopegate_audit_write_errors_total ";
    const auto at = metrics.find(name);
    REQUIRE(at != std::string::npos);
    return std::stoi(metrics.substr(at + name.size()));
  };
  // Busy: another program holds the write lock (SQLite) or the audit table (PostgreSQL)
  // longer than the store waits. The refused key request's entry waits for the next batch.
  std::unique_ptr<postgres::PgConn> pg;
  sqlite3* db = nullptr;
  if (test_store() == StoreKind::postgres) {
    pg = std::make_unique<postgres::PgConn>(h.config.database_path, std::chrono::milliseconds(0));
    pg->exec_plain("BEGIN; LOCK TABLE audit_logs IN ACCESS EXCLUSIVE MODE");
  } else {
    REQUIRE(sqlite3_open(h.config.database_path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  CHECK(h.client().get("/api/v1/audit-logs", {{"X-API-Key", key}}).status == 403);
  REQUIRE(eventually([&] { return write_errors() >= 1; }));
  if (pg) {
    pg->exec_plain("COMMIT");
  } else {
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  CHECK(eventually([&] { return denied() == std::vector<std::string>{"1"}; }));

  // Refused for what it holds (a trigger refusing every audit row): dropped, so that it
  // does not hold back every batch after it.
  if (test_store() == StoreKind::postgres) {
    sql_rows(h,
             "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
             "'refused'; END $$ LANGUAGE plpgsql");
    sql_rows(h,
             "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE "
             "FUNCTION refuse_audit()");
  } else {
    sql_rows(h,
             "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs BEGIN SELECT "
             "RAISE(ABORT, 'refused'); END");
  }
  const int before = write_errors();
  CHECK(h.client().get("/api/v1/audit-logs?page=1", {{"X-API-Key", key}}).status == 403);
  REQUIRE(eventually([&] { return write_errors() > before; }));
  sql_rows(h, test_store() == StoreKind::postgres ? "DROP TRIGGER refuse_audit ON audit_logs"
                                                  : "DROP TRIGGER refuse_audit");
  CHECK(h.client().get("/api/v1/roles", {{"X-API-Key", key}}).status == 403);
  // The new denial is written; the dropped one is not retried.
  CHECK(eventually([&] { return denied() == std::vector<std::string>{"2"}; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(denied() == std::vector<std::string>{"2"});
}

TEST_CASE(
    "e2e: a database busy past database.timeout_milliseconds answers 503 with Retry-After, "
    "and the next request works") {
  Harness h([](Harness& server) { server.config.database_timeout_milliseconds = 300; });
  const auto admin = h.bearer();
  const nlohmann::json key = {{"name", "ci"}, {"scopes", {"sessions:read"}}};
  // Another program holds the write lock (SQLite) or the key table (PostgreSQL).
  std::unique_ptr<postgres::PgConn> pg;
  sqlite3* db = nullptr;
  if (test_store() == StoreKind::postgres) {
    pg = std::make_unique<postgres::PgConn>(h.config.database_path, std::chrono::milliseconds(0));
    pg->exec_plain("BEGIN; LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE");
  } else {
    REQUIRE(sqlite3_open(h.config.database_path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  const auto busy = h.client().post("/api/v1/api-keys", key, admin);
  CHECK(busy.status == 503);
  CHECK(busy.headers.at("Retry-After") == "1");
  CHECK(busy.json().at("message") == "the database is busy; retry shortly");
  if (pg) {
    pg->exec_plain("COMMIT");
  } else {
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  CHECK(h.client().post("/api/v1/api-keys", key, admin).status == 201);
  h.stop();
  CHECK(read_file(h.config.log_file).find("POST /api/v1/api-keys 503 ") != std::string::npos);
  CHECK(read_file(h.config.log_file).find("reason=unavailable") != std::string::npos);
}
